package serialport

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestCandidates(t *testing.T) {
	dev := t.TempDir()
	byID := filepath.Join(dev, "serial", "by-id")
	if err := os.MkdirAll(byID, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"ttyUSB0", "ttyUSB1", "ttyUSB2", "ttyACM0", "ttyUSB9"} {
		if err := os.WriteFile(filepath.Join(dev, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"usb-FTDI_FT232R_USB_UART_A1-if00-port0":         "ttyUSB9",
		"usb-HUAWEI_Technology_HUAWEI_Mobile-if02-port0": "ttyUSB2",
		"usb-HUAWEI_Technology_HUAWEI_Mobile-if00-port0": "ttyUSB0",
		"usb-Quectel_Incorporated_EC25-if01-port0":       "ttyUSB1",
	}
	for l, target := range links {
		if err := os.Symlink(filepath.Join(dev, target), filepath.Join(byID, l)); err != nil {
			t.Fatal(err)
		}
	}
	got := candidates(dev)
	want := []string{
		filepath.Join(byID, "usb-HUAWEI_Technology_HUAWEI_Mobile-if00-port0"),
		filepath.Join(byID, "usb-HUAWEI_Technology_HUAWEI_Mobile-if02-port0"),
		filepath.Join(byID, "usb-Quectel_Incorporated_EC25-if01-port0"),
		filepath.Join(byID, "usb-FTDI_FT232R_USB_UART_A1-if00-port0"),
		filepath.Join(dev, "ttyACM0"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
