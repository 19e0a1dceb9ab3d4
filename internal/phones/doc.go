// Package phones is the appliance's list of paired phones: who they are,
// the secret token in each one's MMSC URL, and the last request each made.
//
// # Why tokens
//
// A phone does not say who it is when it posts an MMS: it sends the
// insert-address token (OMA-MMS-ENC §7.3.21, From = 0x81) and expects the
// operator's MMSC to fill in its number from the network. A home MMSC
// reached over the internet sees no such network identity, so each phone
// gets its own URL, http://host:port/mms/<token>, and the token says
// which phone posted (the way Mbuni's per-VASP URLs do). A token is a
// password: at least MinTokenLen characters of [A-Za-z0-9_-] with enough
// distinct characters, 144 random bits when the registry makes it, and
// compared in constant time.
//
// # Two sources
//
// Phones come from the -phones setting (ParsePhones, ReadPhones), which
// the registry treats as read-only ("fixed"), and from pairing in the
// inbox (Registry.Add), which it keeps in phones.json in the data
// directory: written to a temporary file, fsynced and renamed, so a power
// cut leaves the old list or the new one. On a clash (same token or same
// number) the fixed phone wins and Warnings says which paired one was
// left out.
//
// # Numbers
//
// Recipients and senders appear in many forms: "+447700900123",
// "0044 7700 900123", "07700900123", "+447700900123/TYPE=PLMN".
// Normalize reduces a number to digits with its "+"; SameNumber matches
// a national form with an international one by their last seven or more
// significant digits (the loose comparison Android's PhoneNumberUtils
// makes), since the appliance does not know its country.
//
// # Visits
//
// Registry.Saw records each phone's last request (time, address,
// User-Agent, x-wap-profile) for the owner: it is how one sees whether a
// carrier lets a phone reach the box. Visits are kept in memory and
// written to phones-seen.json at most every 30 seconds, not in the
// request's path; they are informative, so a crash may lose the last few.
package phones
