// Package store keeps the messages the MMSC receives on the appliance's
// SD card: the original PDU byte for byte, and what the appliance knows
// about it (sender, recipients, subject, parts, seen state).
//
// # Layout on disk
//
// Everything lives under Config.Dir (the appliance uses /var/lib/homemmsc):
//
//	lock            flock(2) held while a Store is open: one process per directory
//	messages.log    every message and every change, appended one record after another (below)
//	index.ckpt      the index as of a clean Close or a slow Open ("The index checkpoint"); may be deleted at any time
//	.tmp-*          a rewrite in progress (compaction, import); removed by Open
//	damaged/        what Open could not trust; kept for the owner, never indexed
//
// The log is a sequence of records. Each starts with one line of JSON
// ending in '\n'; the line of a new message is followed by its PDU,
// exactly as the phone sent it (Meta.Size bytes), and a '\n':
//
//	{"msg":{...Meta...},"crc":C,"w":W}\n<PDU>\n   a new message; C is the CRC-32C of the PDU
//	{"put":{...Meta...}}\n                         a changed metadata (seen, delivery): replaces the earlier
//	{"del":"<id>"}\n                               the message was deleted
//	{"seq":N,"w":W}\n                              the sequence high-water mark (the end of a compacted log)
//
// A person can get every message out without this code: read a line,
// and if it starts with {"msg": the next "size" bytes are the PDU, to
// be saved as <id>.mms; skip the '\n' and go on. `grep -a '"id":"<id>"'
// messages.log | tail -1` shows what the store knows about a message.
// The owner gets plain files from the inbox's backup zip or from
// cmd/mmsexport (a folder per message: message.mms, meta.json, parts).
//
// Open reads the log's lines in order into the index, reading each line
// (a pread of 4 KB at a time) and jumping over its PDU: 20,000 messages
// of 30 KB, a third of them seen, in 0.48-0.88 s with a warm page cache,
// 2.0 MB of heap after it (BenchmarkOpen/log, 2-core amd64 VM under
// load). After a clean Close it reads the index checkpoint instead and
// only the records after it ("The index checkpoint"): 0.03 s and 234
// allocations (BenchmarkOpen/checkpoint), the same heap. The scan keys
// the messages it has read by their packed id, not a string each. The
// index and its subjects get an eighth of spare room at Open, so the
// first Puts do not copy them (a copy leaves the old 2 MB as garbage
// until the next collection). The appliance started on such a store
// (615 MB log) with -lan answers after 0.15 s warm, 0.16 s with the
// log's and the checkpoint's pages dropped from the cache (as after a
// reboot), and 4.5-5.3 s cold without a checkpoint (a power cut before
// any clean stop: a random read per record); it holds 15.6 MB VmRSS 3 s
// later and 16.3 MB after a scrape, the inbox's first page and a posted
// message, against 13.2 MB idle on an empty store (BenchmarkStart in
// cmd/appliance, MB there being 1000 KiB; of those 16.3 MB, about 11 are
// the binary's own pages).
//
// An id is "YYYYMMDD-hhmmss-NNNNNN": the UTC time the message arrived and
// a sequence number of at least six digits. Ids hold only digits and '-',
// so they are safe in URLs and file names, and every method that takes an
// id validates it (ErrInvalidID) before it comes near a path. The
// sequence makes ids unique: it is allocated under the store's lock (50
// Puts in the same second get 50 ids) and recovered at Open as one more
// than the highest id the log or damaged/ names. A del line keeps a
// deleted id until the log is compacted, and compaction writes the
// high-water mark, so a deleted id is not issued again.
// The clock is not trusted for uniqueness or order: a Pi has no RTC and
// may boot in 1970; Query orders by sequence, and Meta.ClockSynced says
// whether Meta.Received can be believed.
//
// Part files are not stored: Meta.Parts[i].File ("part-01.jpg", the
// extension from a media-type table, ".bin" when unknown) is the safe
// name to offer the part under, and Part decodes it from the PDU. A name
// from the PDU (Meta.Parts[i].Name) is metadata for display, never a
// path.
//
// # Why one log: the SD card's wear
//
// The card wears with every block written, so a message should cost
// what the cheapest correct durable design costs. BenchmarkWear measures
// the bytes the block device is asked to write per message, on ext4
// with its journal (noatime, as Raspberry Pi OS mounts its root) in an
// image on a loop device, for three designs in the same image and run:
//
//	go test -run '^$' -bench '^BenchmarkWear$' -benchtime 1x ./internal/store
//
//	device bytes per message, and over the log design's
//	                            30 KB x 1       30 KB x 8       300 KB x 1
//	log: append, fdatasync      54,422          36,454          324,540
//	file: create, fdatasync,    65,959 1.21x    68,130 1.87x    336,555 1.04x
//	  fsync of the directory
//	this store, earlier         79,012 1.45x    78,029 2.13x    348,843 1.07x
//	  (a file per PDU and a journal: three syncs)
//	this store                  55,405 1.02x    37,547 1.03x    325,495 1.00x
//
// (x 8: eight writers at once, sharing syncs.) A file per message cannot
// come near the log: its inode, its directory entry and the journal
// blocks they dirty are written at every message. So the store is the
// log design with the metadata in the same write: one write of the line
// and the PDU, one fdatasync, shared by the writers that arrive while
// one runs (group commit).
//
// # The index: a summary in memory, the rest read from the log
//
// An appliance keeps its messages for years, so what the store holds in
// memory per message is what the process grows by as they arrive. The
// index is one entry per message in a slice sorted by sequence, found
// by binary search: the id holds the sequence, and the entry keeps the
// rest of the id packed in a number, so a lookup allocates nothing and
// no map keyed by id is needed. An entry holds what listing, searching
// and counting need — the received time, clockSynced, seen, the PDU
// size, the sender and the To addresses (one shared copy per distinct
// sender and recipients: a home appliance hears from a handful of
// phones, each writing to a handful of people) and the
// subject — and where the message's latest metadata line and its PDU
// are in the log: 64 bytes on 64-bit platforms and on the Pi Zero's
// 32-bit ARM, with no pointer in it. The sender and recipients are a
// number in a table of the distinct ones, the subject a number in one
// byte slice holding every subject (a length and its bytes); the
// slice's bytes are never rewritten, so a Summary's Subject shares
// them, and a deleted message's subject stays until the dead bytes
// outweigh the live ones (and 64 KB), when the index's texts are copied
// afresh, dropping the senders no message refers to any more. So the
// garbage collector marks the index as a few objects without scanning
// it, and a subject costs its bytes, not an allocation; BenchmarkIndexMemory
// measures 89 bytes of heap per message (113 with a pointer per
// subject and sender), the slice's spare capacity included. Query's
// Match sees that part (a Summary; Summary.ToLines gives the To
// addresses without splitting them, for grouping), so a search passes
// over every message without touching the card, and Stats counts from
// it.
//
// Everything else — Cc and Bcc, parts, hints, delivery states — is read
// when asked for: Get, Part, the page a Query returns, SetSeen,
// SetDelivery, MarkAllSeen and Delete read the message's line with one
// pread at its offset, decode it, and check that it is the metadata of
// that id (and of that size), so a log changed behind the store's back
// is an error, never another message's metadata. The offsets stay valid
// while the store is open: the log is only appended to then, and Open,
// which alone rewrites it (compaction), records the offsets in the file
// it leaves. Events carry the whole Meta, which the change has in hand.
//
// # The index checkpoint
//
// Reading every record's line costs a random read per message when the
// log is not in the page cache (after a reboot: 5.1 s for 20,000
// messages on the test VM, each read waiting for the one before, as a
// record's offset comes from the previous one). So Close, once every
// writer has finished and a last fdatasync covers the whole log, writes
// the index as it stands to index.ckpt (temporary file, fdatasync,
// rename, fsync of the directory), and Open reads that file in one
// sequential read and then only the records after the point X it
// covers. Nothing is written on the hot path: one file of 64 bytes per
// message and its subject at each clean shutdown, and none when the log
// has not grown since the checkpoint last written. A home appliance is
// often stopped by pulling its plug, though, so a store may go months
// without a clean Close: Open itself writes a checkpoint (after a
// fdatasync of the log) when it had to read 512 records or more from
// the log, so that the next start, even after another power cut, reads
// only what came after this one. That costs one such file per slow
// start.
//
// The checkpoint is only an accelerator: it holds nothing the log does
// not, and deleting it at any time costs the next Open a full read of
// the log, nothing else. It stays in place while the store is open: a
// power cut later leaves it valid, because every change after X (a new
// message, a seen flag, a deletion) is a record appended after X, which
// Open replays from X as it replays any record. What could change the
// bytes before X: Delete punches holes in PDUs only (the index does not
// hold PDUs, and the del line is after X); compaction rewrites the log,
// so Open removes the checkpoint, and syncs the directory, before the
// new log replaces the old one; the torn-end cut only cuts after the
// last sync, which is at or after X. In case something else did (the
// log replaced or edited by hand), Open uses a checkpoint only if it
// names the log's inode number, X is within the log, and the last
// record's line before X is at the offset it names with the CRC it
// names (lines are never hole-punched). Otherwise — or if the file does
// not read: bad magic, version, CRC, an entry pointing outside it or
// past X — Open reads the whole log as before, logs why (INFO when it
// belongs to another log, WARN when it is corrupt: nothing is lost) and
// removes it. Records after X are checked as after a crash ("After a
// crash"), X counting as synced. Damage to lines before X is found
// when the message is read (Get checks that a line is the metadata of
// its id), not at Open.
//
// Layout, all integers little-endian:
//
//	offset size
//	0      8    magic "HMMSCKP1"
//	8      4    version, 1
//	12     4    N, the number of entries
//	16     8    X: the log's bytes the checkpoint covers (its synced end at Close)
//	24     8    the log's inode number
//	32     8    offset in the log of the last record's line before X
//	40     8    bytes of whole records before X (X, less unreadable spans Open kept)
//	48     8    the highest sequence the log names before X (so ids are not issued again)
//	56     4    length of that last line, '\n' included
//	60     4    CRC-32C (Castagnoli) of that line
//	64     4    P, the number of parties
//	68     4    S, the bytes of the subjects
//	72     8    zero
//	80     64*N the entries, by sequence: seq u64, id time u64 (YYYYMMDDhhmmss as a
//	            number), offset of the latest metadata line i64, offset of the PDU i64,
//	            received Unix seconds i64, nanoseconds i32, line bytes u32, PDU bytes u32,
//	            party number u32, subject offset u32, sequence digits u8, seen u8,
//	            clock synced u8, zero u8
//	...         P parties: sender number, sender name, sender source, To addresses
//	            one a line, each a uvarint length and its bytes
//	...         S bytes of subjects: a zero byte (the empty subject, offset 0), then
//	            each subject as a uvarint length and its bytes
//	end-4  4    CRC-32C of everything before it
//
// A message's id is the id time's digits as YYYYMMDD-hhmmss- and the
// sequence zero-padded to its digits. Everything a person needs to get
// the messages out is in the log (see above); the checkpoint only says
// where in it they are.
//
// # Writing: nothing acknowledged is lost, even to a power cut
//
// Put encodes the message's line (with the PDU's CRC-32C and W, below),
// appends the line, the PDU and a '\n' under the log's mutex, and waits
// for an fdatasync of the log that started after its append; only then
// does it return, and only then does the MMSC answer the phone Ok.
// Every file the store syncs is only appended to (or new), so
// fdatasync(2) flushes everything a reader needs (data and size). A
// failed write is cut off again (ftruncate), so the file only ever holds
// whole records; a failed sync retracts the record with a del line.
//
// Why an Ok message survives a power cut: when Put returns, every byte
// of the log up to the end of its record has been explicitly synced.
// This holds with ext4's journal (data=ordered, the Pi OS default),
// without one and with data=writeback. What no software can fix is a
// card that acknowledges a cache flush it has not done; buy cards that
// honour flushes (industrial or "endurance" lines).
//
// A power cut can leave a record that was written but not synced torn
// (cut anywhere), zeros where its data never reached the card (ext4
// without a journal may persist the size first), or, with several
// writers, whole records after a torn one (pages written back out of
// order). None of these was acknowledged. W bounds what Open must check:
// every new message's line records how many bytes of the log had been
// synced when it was written; once a record of the log says W, nothing
// before W needs checking. Open takes the highest W of the log, and
// checks by CRC the PDU of every new message at or after it: with one
// phone only the newest, with eight at once the few in flight. After a
// failed fdatasync Linux may have dropped the pages it could not write
// and report the next sync a success, so W stops advancing until the
// store is reopened, and Open checks everything written after it.
//
// # After a crash
//
// Open reads the log from its start (or from a checkpoint's point). A record that does not read (a
// torn line, a PDU shorter than its size, no '\n' after it) is looked
// past: the next line start from which a whole record reads. When the
// whole log is read, each unreadable span is judged by the records
// after it:
//
//   - none of them has a W beyond its start: no sync ever covered it,
//     so it is a write the power cut short, never acknowledged, and it
//     is cut off the log with everything after it (ftruncate, synced).
//     So is a new message no W covers whose PDU does not match its CRC.
//     Open logs this as a warning that says no phone was told the
//     message was stored (the phone sends it again). Whole records among
//     what is cut (written back out of order) are copied to damaged/ as
//     log-<offset>-<time>.bin first, in case the card lied about a sync.
//   - a later record's W is beyond its start: those bytes had been
//     synced, so this is damage (a failing card, an edited file), not a
//     crash: the span is copied to damaged/, logged as an error, the
//     records after it are kept, and the log is compacted without it.
//
// # Compaction and deletion
//
// Delete appends a del line — its commit point —, syncs, drops the
// index entry, and then punches a hole over the whole 4 KB blocks of the
// message's PDU (fallocate(2) FALLOC_FL_PUNCH_HOLE, the file's size
// kept), so the card's blocks come back at once and writing nothing: a
// 200 KB message frees all but the partial blocks at its ends
// (TestDeleteFreesBlocks). The hole reads as zeros; the del line, durable
// before it, keeps Open from listing or checking the message. A
// filesystem that cannot punch holes keeps the bytes until compaction.
// Open compacts the log — writes each live message as one record with
// its latest metadata to a temporary file, the sequence mark last with a
// W covering all of it, fdatasync, rename, fsync the directory, and
// points the index at the new offsets — when it set damage aside, or
// when the dead bytes (deleted messages, superseded metadata) outnumber
// the live ones and the filesystem has room for the live part beside
// the old log. Rewriting costs the card the live bytes once, which is
// why it waits until at least as many dead bytes would be freed; what
// it frees beyond the holes is the lines of deleted messages and of
// superseded metadata. (Segments of the log, compacted one at a time,
// would need less room; not built.)
//
// # The earlier layouts
//
// Before the log, a store kept messages/<id>.mms, one file per PDU, and
// journal.jsonl, the metadata lines ({"put":...}, {"del":...},
// {"seq":N}); before that, messages/<id>.json per message and a seq
// file. Open imports such a store once: every PDU whose metadata it
// finds and whose size (and sha256, when recorded) match goes into a
// new log, written under a temporary name and renamed when whole; a PDU
// without metadata or that does not match goes to damaged/; then the
// old files are removed. A crash before the rename imports again; after
// it, Open removes the old files it finds beside the log.
//
// # Tested against power cuts
//
// TestPowerCut runs the store over a filesystem that keeps, per file,
// what was synced and what was only written, and per directory the
// names synced and the changes since; a cut keeps what was synced plus
// a random part of the rest, torn at a random byte or zeroed. Cuts fall
// at random moments under 8 writers (one of which also marks messages
// seen and deletes them) and right after a chosen sync, also inside
// Open's own repairs and inside the compaction that follows a round
// that deleted nearly everything. After every cut: every acknowledged
// message present and byte for byte intact (sha256), every listed
// message one that was sent, whole; no deleted message back; no
// temporary file. 12 cuts in make test, 200 in make soak (15 s; 42
// compactions and 10 torn ends in one run). Every third round or so
// the writers stop and Close runs, and the power goes inside its
// checkpoint write (after the log's sync, after the checkpoint's, right
// after its rename, after the directory's sync, or after Close); when
// the next Open reads the checkpoint, its index must equal what a full
// read of the same log gives. Removing the log's
// fdatasync fails it at the first cut. TestKill9KeepsAcknowledged kills a process storing from 8
// goroutines with SIGKILL three times (the page cache survives that;
// the power-cut test is the one that tests the syncs).
//
// A write that fails (ENOSPC, EDQUOT, EIO, at any step) removes what it
// wrote, so nothing is half-written; ENOSPC and EDQUOT are returned as
// ErrFull (wrapping the errno). The filesystem calls go through a small
// internal interface so that tests inject faults at every step.
//
// # Quota and free space
//
// Two limits, both checked by Put before it writes, counting the other
// Puts in flight: Config.MaxBytes caps the bytes the store holds (PDUs
// plus their latest metadata lines; Stats.Bytes), and Config.MinFree keeps a floor of free
// space on the filesystem (statfs(2) f_bavail; 32 MiB if zero) so that a
// full store never fills the card the system runs from. The store never
// deletes a message on its own: a message is the owner's data, and
// silently dropping the oldest would lose it without a trace. When a
// limit is reached Put returns ErrFull, which is transient: the MMSC
// answers the phone with a transient-failure status (the phone retries
// later), Stats.LastError says why, and the owner frees space with
// Delete. The same holds for ENOSPC and EDQUOT met while writing.
// Stats.Full says which limit refused the last message (FullQuota or
// FullDisk) for as long as a message of its size would still be refused
// (a smaller message stored meanwhile does not clear it: the phone
// retries the refused one); it clears when Stats finds room for that
// message again (messages deleted, the card freed) or at a restart, so
// the OLED and /healthz can say "full" while the quota is not reached.
//
// # Parts: decoded on demand, not extracted at Put
//
// Measured with BenchmarkExtract on real M-Send.req PDUs of 30 KB and
// 300 KB (SMIL, text and an image; encoded by internal/mms), fsync on,
// two sessions of 3 runs of 300 messages each, on an amd64 VM (ext4 on
// virtio, 2 cores shared with other builds, load 6-12: the ratios
// matter, not the absolute figures):
//
//	go test -run '^$' -bench 'Put|Extract' -benchtime 300x -count 3 ./internal/store/
//
//	                          30 KB message              300 KB message
//	                     CPU/msg     written/msg     CPU/msg     written/msg
//	on demand: Put       1.3-2.3 ms  37-40 KB        1.9-2.9 ms  311-316 KB
//	at Put: Put+parts    3.6-4.7 ms  80-88 KB        4.9-6.9 ms  627-635 KB
//	on demand: view all  0.14-0.21 ms   -            1.0-1.3 ms     -
//	at Put: view all     0.09-0.19 ms   -            0.36-0.51 ms   -
//
// ("view all" reads every part of a message once; "written" is
// /proc/self/io write_bytes, without the ext4 journal.) Extracting at Put
// doubles the bytes written to the card, adds one fsync per part and two
// directory syncs (wall time per message 12-34 ms instead of 6-16 ms),
// and costs 2-4 ms more CPU per message, mostly in the kernel. Decoding
// on demand costs 0.1-0.8 ms more per full view than reading extracted
// files. A message is stored once and looked at a few times, so on
// demand wins on CPU until a message has been viewed several times over,
// and always on SD wear, which is what limits a Pi's card. (These
// figures are of the earlier two-files-per-message layout; the journal
// and then the log made Put cheaper still, which only widens the gap.)
//
// # Events
//
// SetSeen and SetDelivery (the delivery to paired phones, recorded by
// internal/deliver) change a message's metadata through one update path:
// a new line in the log, synced, then the index, then a Changed event.
//
// A change leaves the store by one path: Subscribe. Each consumer owns a
// Subscription, a bounded queue of the kinds of event it asked for
// (Stored, Changed, Deleted), and reads it on its own goroutine (Next,
// or Run). The goroutine that made the change (a phone's request, for a
// Put) only appends the event to each queue, once the change is durable
// and outside the store's locks, and never waits for a consumer: a
// consumer that is slow or stuck cannot hold up a phone. A full queue
// drops the event but remembers it compactly (the sequence ranges of the
// dropped arrivals; one flag for the rest), and the Subscription reads the
// dropped arrivals back from the index and the log once its consumer has
// caught up, so no arrival is lost; dropped changes and deletions become
// one Resync event, after which the consumer re-reads what it keeps.
//
// What a consumer missed while the appliance was off is its own to
// recover at start, as its own state says what it has seen. The
// appliance's consumers (Subscribers lists them at run time):
//
//	"owner SMS"        internal/modem/ownersms (Notifier.Feed): a text to the owner; recovers the newest unseen messages its ledger lacks
//	"delivery"         internal/deliver (Deliverer.Follow): WAP push to paired recipients; recovers those received within the expiry
//	"display"          internal/display (Follow): redraws the OLED; reads the store afresh at each redraw
//	"inbox thumbnails" internal/inbox: removes a deleted message's thumbnails; a Resync sweeps them
//	"e-mail"           internal/mm3 (Ledger.Feed): forwards it by e-mail; recovers those stored since forwarding was on that its ledger lacks
//
// # Limits
//
// MaxPDUSize (8 MiB) per PDU; MaxHints hints of at most MaxHintLen bytes;
// MaxRecipients recorded addresses and delivery entries; MaxTextLen bytes
// per recorded string.
// Recorded text is made valid UTF-8 without control characters.
//
// # Specs
//
//   - POSIX rename(2): replacing a name is atomic; readers see the old or
//     the new file, never a mix.
//   - fsync(2): on Linux, fsync of a directory makes the names created,
//     renamed or removed in it durable (POSIX leaves directory fsync
//     implementation-defined); without it a renamed file may vanish after
//     a power cut even though its data was synced.
//   - fdatasync(2): flushes a file's data and the metadata needed to read
//     it back (size, block map), not its timestamps.
//   - O_APPEND write(2) of a regular file: each write lands at the end of
//     the file; a write cut short by an error is truncated back by Put.
//   - statfs(2) f_bavail: blocks available to unprivileged users.
//   - flock(2): advisory lock, released when the process dies (kill -9 included).
package store
