// Package adapt makes a message fit the phone that fetches it. Carriers
// cap MMS at 300 KB to 1 MB and some drop a larger message without a
// word (T-Mobile US 1 MB and 3000 px, Free and T-Mobile NL 300 KB, as
// reported in the issue threads of Simple SMS Messenger, QKSMS and
// Silence), so a 2 MB photo from an iPhone may never show on the
// recipient's phone. Each paired phone has a size limit
// (phones.Phone.MaxMessage, 600 KB when unset); when the M-Retrieve.conf
// the deliverer built for it encodes larger, Fit returns a copy whose
// pictures are scaled down and re-encoded until it fits.
//
// # What changes
//
// Only JPEG, PNG and GIF parts, top-level or inside a nested multipart.
// Text, SMIL, audio, video and every other part are kept byte for byte.
// The stored original is never touched: it stays whole in the inbox, the
// backups and the e-mail; Fit builds new parts and leaves the message it
// was given as it was.
//
// The pictures share the room the other parts leave, in proportion to
// their sizes. A picture is decoded (at most MaxPixels, checked from its
// header first; a larger one, or one that does not decode, is sent as it
// is and the others must make room), turned upright when a JPEG's EXIF says it was taken on
// its side (the re-encoded file has no EXIF, so the phone would show it
// sideways otherwise), scaled so its longer side is at most MaxSide and
// its bytes are likely to fit its share (from the bytes per pixel the
// first try gives), and encoded again: a JPEG as JPEG at falling quality
// (85, 75, 65, 55), a GIF as GIF (every frame of an animation, scaled
// with the same palette), a PNG as PNG, and as JPEG when even a small PNG
// is too large (a photo saved as PNG). Each try that is still too big
// shrinks the picture by the square root of how far it missed, down to
// MinSide. If the whole message still does not fit, the shares shrink and
// it goes round again, three times at most; then Fit reports ErrNoFit and
// the deliverer sends the original, which is what it did before.
//
// A picture whose type changes (PNG to JPEG) gets a new Content-Type and
// a Content-Location with the new extension, and the SMIL part's src
// references to the old name are rewritten to the new one, so the
// presentation still finds it; the Content-ID stays.
//
// # Cache and memory
//
// An adapted message is kept under Config.Dir as <id>.<limit>.v1.mms,
// the adapted M-Retrieve.conf's content type and parts encoded with this
// project's codec, so a second fetch for a phone with the same limit (a
// retry, or a second recipient) costs one file read. Entries older than
// Config.MaxAge (8 days: longer than a message waits for retrieval) go
// when a new one is written. A message that could not be made to fit
// leaves an empty <id>.<limit>.v1.nofit, so the phone's retries of the
// fetch do not decode its pictures again. Store ids are never reused, so an entry
// cannot describe another message.
//
// One adaptation runs at a time: a fetch that needs one while another
// runs waits, and then usually finds it in the cache. The decoded picture
// is the big allocation — pure Go decodes a JPEG whole, 1.5 bytes per
// pixel for the usual 4:2:0 (18 MB for 12 megapixels) — and the scaled
// copy and its encoding are small beside it; the original bytes are the
// stored PDU's, read once, and the deliverer drops its encoding of the
// original before calling Fit. Scaling reuses one buffer across the tries
// of a picture. Measured on a 2-vCPU amd64 VM shared with other builds,
// a camera-like JPEG (quality 80, 0.29 bytes per pixel) to 600 KB:
//
//	go test -run '^$' -bench Fit -benchmem -benchtime 3x -count 2 ./internal/adapt/
//
//	picture            wall         CPU          peak heap   allocated
//	1.0 MB, 3.6 MP     155-211 ms   147-151 ms   29 MB       17 MB
//	3.0 MB, 11 MP      306-351 ms   248-266 ms   42 MB       28 MB
//	7.9 MB, 29 MP      478-512 ms   472-521 ms   92 MB       53 MB
//
// The peak is the live heap (with garbage not yet collected) above what
// was live before, sampled every millisecond; the message itself is in
// the baseline. A Pi's core is several times slower than this VM's; not
// measured there.
//
// # Specs
//
//   - OMA-MMS-CONF (content classes and the size limits of MMS
//     conformance), OMA-TS-MMS_ENC §6.3 (M-Retrieve.conf)
//   - JEITA CP-3451 (Exif 2.3) §4.6.4: the Orientation tag (0x0112)
//   - W3C SMIL 2.0 / 3GPP TS 26.234 (src references of the MMS SMIL subset)
package adapt
