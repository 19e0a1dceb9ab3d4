// Package display shows the appliance's state on a small I²C OLED: how many
// messages are new, from whom, and whether the box is healthy.
//
// It is split in three: Render, a pure function from Status to a 1-bit
// picture (golden-tested as PNG under testdata/); the drivers, which push a
// picture to an SSD1306 or SH1106 over an i2c.Bus (tested against periph's
// i2ctest.Playback); and Loop, the one goroutine that owns the Screen.
// Start opens the panel (Open: I²C via periph, or a PNG file) with its
// optional GPIO button and follows the store on it (Follow).
//
// # Screen layout
//
// 128×64:
//
//	y  0– 7  marks: signal bars, R (registered) or R?, ↑n outbox, CLK? (clock
//	         not synchronised), NET / NET? / NET! (phones on the internet
//	         reach the MMSC / not yet known / cannot), free disk space
//	         flush right
//	y 10–37  the count of new messages in 28 px digits (14 px past 99);
//	         to its right the last sender (7×13 face) and how long ago
//	y 40–52  the last subject, or a reverse-video banner: CODE 123456 (the
//	         inbox's one-time setup code, while no password is set), STORE FAILING,
//	         DISK FULL (the card's free-space floor), QUOTA FULL (-quota),
//	         NO MODEM (only when a modem is configured; without one the
//	         marks show a quiet "x"), CGNAT, DOUBLE NAT, NO PORT MAP,
//	         UNREACHABLE (what keeps phones on the internet out)
//	y 56–63  the inbox's address (the LAN listener, -lan), e.g.
//	         192.168.1.20:8081; without -lan, the address phones send to
//
// A claimed sender (the message's From or ?n=, no paired phone's token)
// is shown as its address, never a phone's name, with "claimed" before
// how long ago on the line below (store.Sender.Shown).
// DISK FULL and QUOTA FULL show while the limit is reached and after a
// message was refused for space, until one of its size would fit
// (store.Stats.Full).
//
// 128×32:
//
//	y  0–22  the count in 21 px digits; to its right the marks, the sender,
//	         and how long ago followed by the subject
//	y 24–31  the address, or the trouble banner (from y 23)
//
// Text is cleaned (see package font): accents are stripped, Cyrillic and
// Greek romanised, other scripts drawn as boxes, and long values cut with
// "…". No input makes Render fail.
//
// # Burn-in and power
//
// Loop redraws only when the picture changes: on Changed, and every Tick
// for "5m ago". After DimAfter without news the contrast drops to Dim;
// after OffAfter the panel is halted (display off, RAM kept). More new
// messages, new trouble, Wake or the button restore full contrast (any
// command turns a halted SSD1306/SH1106 back on). Every ShiftEvery the
// picture moves one pixel round a 2×2 square. The optional button (a GPIO
// to ground, internal pull-up, falling edge, 300 ms debounce) wakes the
// panel and calls Config.Press, which the appliance uses to mark every
// message seen. A panel that stops answering (a loose wire, a power dip
// that loses its settings) is logged once and, when Config.Reopen is set,
// initialised afresh before the next frame.
//
// # Protocol
//
// Both controllers are written, never read. Each I²C write starts with a
// control byte: 0x00 (Co=0, D/C#=0) says the rest is a stream of command
// bytes, 0x40 (D/C#=1) that the rest is display RAM data. RAM is organised
// in pages of 8 rows; one data byte is one column of a page, bit 0 the top
// row (periph's image1bit.VerticalLSB is exactly this layout).
//
// SSD1306 (periph.io/x/devices/v3/ssd1306): init sends, in one command
// stream, display off (AE), display offset 0 (D3 00), start line 0 (40),
// segment remap (A1, or A0 when rotated), COM scan direction (C8, or C0),
// COM pins (DA 12 for 64 rows, DA 02 for 32), contrast (81 FF), RAM display
// (A4), normal video (A6), oscillator (D5 F0), charge pump on (8D 14),
// pre-charge (D9 F1), VCOMH (DB 40), scroll off (2E), multiplex (A8 rows-1),
// horizontal addressing (20 00), column range (21 00 7F), page range (22 00
// pages-1), display on (AF). A frame is, per changed page, a command B0|page,
// 00|col&0F, 10|col>>4 and a data write of the changed columns. periph's
// ssd1306.NewI2C always uses address 0x3C; OpenI2C rewrites it to 0x3D when
// configured.
//
// SH1106 (our driver): 132 columns of RAM, of which a 128-wide panel shows
// columns 2–129, and page addressing only. Init: AE, D5 80, A8 3F, D3 00,
// 40, AD 8B (DC-DC on), A1/A0, C8/C0, DA 12, 81 FF, D9 22, DB 35, 32 (pump
// 8 V), A4, A6, AF. A frame sends each changed page whole: B0|page, 02, 10,
// then 128 data bytes. Only 128×64 SH1106 modules exist.
//
// Contrast is 81 nn; halt is AE, and the drivers prefix the next command
// with AF.
//
// # Specs
//
//   - SSD1306 datasheet, Solomon Systech, rev 1.1 (2008): §8.1.5 I²C
//     interface, §8.7 GDDRAM, §9 command table, §10 command descriptions,
//     charge pump appendix.
//   - SH1106 datasheet, Sino Wealth, V2.3: command table (page address,
//     column address, DC-DC AD 8B, pump voltage 30–33).
//   - NXP UM10204, I²C-bus specification and user manual: standard (100 kHz)
//     and fast (400 kHz) mode; a full 128×64 frame is 8×(4+129) bytes, about
//     25 ms at 400 kHz.
package display
