// Package mmsdtest runs the real MMS stack of Linux phones in tests: the
// Debian mmsd-tng daemon (2.1.0, the one behind Phosh and Chatty), each
// instance as one phone, so the appliance's delivery is checked against a
// client that did not come from our own reading of the specs.
//
// # What a phone is made of
//
// mmsd-tng talks to two D-Bus buses. On the system bus it looks for
// ModemManager (org.freedesktop.ModemManager1) through libmm-glib and
// takes from it the modem, the SIM (for the country, from the IMSI's MCC),
// the connected bearer whose APN is its MMS_APN (its network interface,
// which every HTTP socket and DNS query is bound to, and its DNS servers)
// and the received SMS: a WAP push is an SMS whose Data is the WSP push
// PDU. On the session bus it offers org.ofono.mms, which Chatty drives:
// Service.SendMessage(recipients, options, attachments), the
// Message.PropertyChanged "status" signal ("sent" once the MMSC answered
// Ok), and Service.MessageAdded with Status "received", whose attachments
// are spans (file, offset, length) of the PDU it stored under
// $HOME/.mms/modemmanager/.
//
// StartPhone starts, in a directory of the test's:
//
//   - a private dbus-daemon (Bus), given to mmsd-tng as both its session
//     and its system bus (DBUS_SESSION_BUS_ADDRESS,
//     DBUS_SYSTEM_BUS_ADDRESS), so phones never meet and nothing of the
//     machine's own buses is used;
//   - ModemManager, a fake one: one modem, registered and connected on a
//     bearer over "lo" (the appliance listens on 127.0.0.1), with
//     ModemManager.Deliver putting a received SMS in its inbox the way
//     ModemManager does (an Sms object, the Messages property, the
//     Messaging.Added signal);
//   - mmsdtng -d with $HOME in the directory and its settings file
//     $HOME/.mms/modemmanager/mms naming the MMSC URL, the APN, no proxy,
//     SMS WAP pushes processed by itself and c-ares for DNS (there is no
//     systemd-resolved on the private bus).
//
// # A strict fake
//
// The fake serves exactly what mmsd-tng 2.1.0 calls, as read in its
// plugins/modemmanager.c (the plugin as first posted to the oFono list)
// and checked by running 2.1.0 against the fake: GetManagedObjects
// on /org/freedesktop/ModemManager1 (every modem property comes from
// there), Properties.GetAll of the SIM, the bearer and each SMS, and
// Messaging.Delete once it took a push. Any other call — another method,
// interface or path, other argument types, a property write — is
// answered with a D-Bus error and kept in ModemManager.Refused, and tests
// fail when that is not empty: a newer mmsd-tng that needs more shows up
// as a refused call, not as a silent difference.
//
// # Specs
//
//   - ModemManager D-Bus API 1.20 (org.freedesktop.ModemManager1.Modem,
//     .Modem.Messaging, .Sim, .Bearer, .Sms) and the
//     org.freedesktop.DBus.ObjectManager interface.
//   - mmsd-tng's D-Bus API (org.ofono.mms.Manager, .Service, .Message) and
//     its settings file, as documented in its README.
//   - WAP-251-PushMessage / WAP-230-WSP §8.2.4.1: the push PDU in Data.
package mmsdtest
