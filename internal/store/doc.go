// Package store keeps the messages the MMSC receives on the appliance's
// SD card: the original PDU byte for byte, and what the appliance knows
// about it (sender, recipients, subject, parts, seen state).
//
// # Layout on disk
//
// Everything lives under Config.Dir (the appliance uses /var/lib/homemmsc),
// as plain files that a backup can copy and a person can read:
//
//	lock                      flock(2) held while a Store is open: one process per directory
//	journal.jsonl             the metadata: one JSON object per line, appended (below)
//	messages/<id>.mms         the PDU exactly as received, one file per message
//	messages/.tmp-*, .tmp-*   a rewrite in progress; removed by Open
//	damaged/                  what Open could not trust; kept for the owner, never indexed
//	seq, messages/<id>.json   the layout before the journal; Open imports both, removes the .json
//
// Each journal line is one of
//
//	{"put":{...Meta...}}      a message's whole metadata; a later put of the same id replaces it
//	{"del":"<id>"}            the message was deleted
//	{"seq":N}                 the sequence high-water mark (first line after a compaction)
//
// so `grep <id> journal.jsonl | tail -1` shows what the store knows about
// a message. Open reads the journal in order into the index, then checks
// it against the PDUs present (stat'ed, not read): 88-95 ms for 1000
// messages, against 158-237 ms to read 1000 metadata files in the
// earlier layout (go test -run '^$' -bench Open -benchtime 20x, same VM,
// same minute). Keeping only the index entries (below) took it from
// 24-25 ms to 17-18 ms (-count 3, a later day on a quieter VM).
//
// An id is "YYYYMMDD-hhmmss-NNNNNN": the UTC time the message arrived and
// a sequence number of at least six digits. Ids hold only digits and '-',
// so they are safe in URLs and file names, and every method that takes an
// id validates it (ErrInvalidID) before it comes near a path. The
// sequence makes ids unique: it is allocated under the store's lock (50
// Puts in the same second get 50 ids) and recovered at Open as one more
// than the highest id the journal, messages/ or damaged/ name. A del line
// keeps a deleted id until the journal is compacted, and compaction
// writes the high-water mark first, so a deleted id is not issued again.
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
// # The index: a summary in memory, the rest read from the journal
//
// An appliance keeps its messages for years, so what the store holds in
// memory per message is what the process grows by as they arrive. The
// index is one entry per message in a slice sorted by sequence, found
// by binary search: the id holds the sequence, and the entry keeps the
// rest of the id packed in a number, so a lookup allocates nothing and
// no map keyed by id is needed. An entry holds what listing, searching
// and counting need — the received time, clockSynced, seen, the PDU
// size, the sender and the To addresses (one shared copy per distinct
// sender and recipients, a unique.Handle: a home appliance hears from a
// handful of phones, each writing to a handful of people) and the subject — and where the message's latest put line is in the
// journal (offset and length): 80 bytes on 64-bit platforms, 64 on the
// Pi Zero's 32-bit ARM, plus the subject's bytes. Query's Match sees
// that part (a Summary), so a search passes over every message without
// touching the card, and Stats counts from it.
//
// Everything else — Cc and Bcc, parts, hints, delivery states, sha256 —
// is read when asked for: Get, Part, the page a Query returns, SetSeen,
// SetDelivery, MarkAllSeen and Delete read the message's line with one
// pread at its offset, decode it, and check that it is the put of that
// id (and of that size), so a journal changed behind the store's back
// is an error, never another message's metadata. The offsets stay valid
// while the store is open: the journal is only appended to then, and
// Open, which alone rewrites it (compaction), records the offsets in the
// file it leaves. Events carry the whole Meta, which the change has in
// hand. Measured on a 2-vCPU amd64 VM, both versions the same hour:
//
//	go test -run '^$' -bench 'IndexMemory|Get$' -count 3 ./internal/store/
//
//	                        live heap per message       Get
//	                        (10,000 Puts, one phone)
//	whole Meta in memory    913-918 B                   68-90 ns, no allocation
//	summary + journal       113-119 B                   17-25 µs, 3.4 KB in 50 allocations
//
// and for 32-bit ARM, the test binary run under qemu-arm-static (GOARCH=arm
// GOARM=6 go test -c, then -test.bench IndexMemory -test.count 2): 592-597
// bytes per message before, 96-98 after.
//
// (The whole-Meta index already shared its repeated strings, senders,
// recipients, part types and hints, between messages.) Fifty thousand
// messages now take about 6 MB of heap instead of 46 MB, before the
// garbage collector's headroom. Get's cost is the JSON decoding of a
// line of about 1 KB; an inbox page of 50 rows reads 50 lines, about
// 1.1-1.4 ms more per page on that VM (BenchmarkList in internal/inbox).
//
// Open reads the journal a line at a time and keeps only the entries, so
// its memory does not grow with the journal's size either; what it
// allocated on the way is garbage once it returns, which cmd/appliance
// hands back to the system. The appliance (make build) started on a copy
// of a store of 20,000 messages with a 19 MB journal, VmRSS 5 s after
// its listener answers, three runs of each binary alternating (an empty
// store: 10.3-10.7 MB for both):
//
//	                        VmRSS            VmHWM (peak)
//	whole Meta in memory    42.6-46.1 MB     70-72 MB
//	summary + journal       15.7-16.0 MB     32-35 MB
//
// # Writing: nothing acknowledged is lost, even to a power cut
//
// Put, in this order:
//
//  1. creates messages/<id>.mms (O_EXCL: the id is new), writes the PDU
//     in one call and starts its fdatasync;
//  2. while the card works, hashes the PDU (sha256, for the metadata),
//     writes the sum into the metadata line (encoded before the write,
//     with a placeholder of the same length, because the quota check
//     needs the line's size) and appends the line to journal.jsonl (one
//     write of a whole line, under a mutex); the line records the
//     store's watermark, "w" (below);
//  3. syncs the PDU's name (an fsync of messages/) and the line (an
//     fdatasync of journal.jsonl), both shared with concurrent Puts
//     (below), and waits for these and the PDU's fdatasync;
//  4. returns, and only then does the MMSC answer the phone Ok.
//
// Hashing during the PDU's flush rather than before its write takes the
// hash off the wait: for 300 KB, 0.21 ms here with the CPU's SHA
// instructions and 0.88 ms without them (GODEBUG=cpu.sha=off), the case
// of every Pi before the Pi 5, whose cores lack the ARM crypto
// extensions.
//
// Why an Ok message survives a power cut: when Put returns, the PDU's
// bytes and size, its name (Linux: fsync of a directory persists the
// entries made in it) and its line have each been explicitly synced.
// None of this relies on how ext4 orders its own metadata writes — it
// holds with the journal (data=ordered, the Pi OS default), without one
// (this project's CI VM) and with data=writeback. What no software can
// fix is a card that acknowledges a cache flush it has not done; buy
// cards that honour flushes (industrial or "endurance" lines).
//
// One round of syncs instead of two: an earlier design synced the PDU
// and its name first and only then appended and synced the line, so
// that a line on the card always meant a whole PDU. Now a power cut in
// steps 1-3 can leave the line on the card without the PDU's name, or with
// its size but not its data (zeros). Such a Put never returned, so the
// phone got no Ok; Open must only recognise it. The watermark bounds
// the work: every Put takes its sequence number into a set of unsynced
// sequences and leaves it when its syncs succeed; a line's "w" is the
// lowest sequence in that set when the line is encoded (its own at
// most), and says that every Put with a lower sequence had synced its
// PDU. Open takes the highest "w" of the journal and checks, by the
// sha256 in the line, the PDU of every new message's line at or above
// it: with one phone, only the newest message; with eight at once, the
// few in flight. A line written by a change of metadata (SetSeen,
// SetDelivery) and a compacted journal carry no "w": their PDUs were
// synced before. A Put whose syncs fail removes its PDU and appends
// a del line, synced; if even that sync fails, its sequence stays in the
// set until the process ends, so no later line claims it was synced and
// Open checks every PDU written after it.
//
// Wall time per Put with one writer (ns/op of BenchmarkPut) on this VM
// (ext4 without a journal, 2 cores shared with a build), alternating the
// two test binaries, 3 runs of 500 Puts each:
//
//	go test -run '^$' -bench 'Put$' -benchtime 500x ./internal/store/
//
//	                   30 KB          300 KB
//	two rounds         2.49-2.70 ms   2.08-3.46 ms
//	one round          1.10-1.93 ms   1.58-2.76 ms
//
// What a crash before step 4 can leave, and what Open does with it:
//
//   - a PDU without a line: Put had not returned, the phone got no Ok and
//     will send again, so keeping it would store it twice: removed;
//   - a line without its PDU: the crash came before the PDU's name was
//     durable (or the owner removed the file by hand, or a failed Put
//     could not): the line is dropped;
//   - a new message's line the watermark does not cover, whose PDU does
//     not match its size or sha256 (its data never reached the card), or
//     any line whose PDU has another size (a damaged or replaced file):
//     the PDU is moved to damaged/ with its metadata as <id>.json, never
//     indexed, never deleted — it cannot tell a Put cut short from a file
//     damaged after its Ok;
//   - bytes after the last whole line: a write that never completed its
//     sync — possibly zeros, since without a journal ext4 may persist a
//     file's size before its data: cut off. Every sync flushes the whole
//     file, so what reached the card is always a prefix of the journal;
//   - an unreadable line with valid lines after it is therefore not a
//     crash but damage: the journal is copied to damaged/, and PDUs
//     without a line are moved to damaged/ instead of removed; the same
//     when the journal is missing or empty (removed by hand, a backup
//     restored without it) while PDUs are present.
//
// Both shared syncs are a group commit: a writer that arrives while a
// sync runs waits for the next one, which then covers every writer that
// arrived meanwhile, so eight concurrent phones share one journal
// fdatasync and one directory fsync instead of each paying both; only
// the PDU's own fdatasync is per message. A failed sync fails
// exactly the writers it was to cover: a Put retracts its line as above;
// a change of metadata appends the old metadata again. A write of a line that fails is cut
// off again (ftruncate), so the file only ever holds whole lines.
//
// Every file the store syncs is new or only appended to, so fdatasync(2)
// flushes everything a reader needs (data and size); fsync would add the
// timestamps. syncfs(2) per batch was measured in an earlier design and
// rejected: it flushes the whole filesystem and reports a writeback
// error to whichever caller syncs next, so a Put whose data failed to
// reach the card could be answered Ok.
//
// SetSeen appends the message's whole metadata with the new state (the
// internal update helper does this for any change of one message's
// metadata; MarkAllSeen appends one line per message and syncs once).
// Delete appends a del line — its commit point —, syncs, and then removes
// the PDU; a crash in between leaves a PDU whose last line is a del,
// which Open removes. The index changes only after the sync.
//
// Open compacts the journal — writes the live lines to a temporary file
// (copied as they are, but that a new message's line is encoded again
// without its watermark), fdatasync, rename, fsync the directory, and
// points the index at the lines' new offsets — when it had to repair
// anything, or when superseded and del lines outnumber the live ones;
// not at every start, to spare the card. Between starts the journal
// grows by one line per change (about 1 KB), which for a home appliance
// is a few MB a year.
//
// # What this costs, measured
//
// The earlier layout wrote the metadata as a second file per message
// (<id>.json: temporary file, fsync, rename), so a Put allocated two
// inodes, made two temporary names and two renames, and synced two files
// and the directory. BenchmarkPut, same VM, same hour, load average 20
// (2 cores shared with other builds, so wall times are noise; the CPU
// per Put is what the change is about):
//
//	go test -run '^$' -bench 'Put$' -benchtime 300x -count 2 ./internal/store/
//
//	                 CPU per Put (of which kernel)
//	                 30 KB                         300 KB
//	two files        1.73-1.78 ms (1.46-1.48)      2.26-2.74 ms (1.60-2.06)
//	journal          0.84-0.98 ms (0.60-0.71)      1.39-1.65 ms (0.84-1.23)
//
// In the two-round design, syncing the directory while the PDU's data
// was flushed, rather than after the journal, took one client's median latency in cmd/mmsload
// from 2.7-3.6 to 2.6-3.2 ms at 30 KB and from 7.0-8.4 to 3.9-5.3 ms at
// 300 KB (alternating runs on the same loaded VM).
//
// Most of what remains is the kernel's: the fdatasync of the PDU, the
// Go runtime handing its P over around each blocking sync, and ext4
// allocating the PDU's inode, which on a filesystem without a journal
// scans past every inode freed in the last minutes. statfs(2) and
// adjtimex(2) cost about 2 µs each per Put and are not worth caching.
//
// A write that fails (ENOSPC, EDQUOT, EIO, at any step) removes what it
// wrote, so nothing is half-written; ENOSPC and EDQUOT are returned as
// ErrFull (wrapping the errno). The filesystem calls go through a small
// internal interface so that tests inject faults at every step.
//
// TestKill9KeepsAcknowledged kills a process storing from 8 goroutines
// with SIGKILL three times over one directory and checks that every
// message whose Put returned survives intact (sha256) and that Open left
// no temporary file or half entry. A power cut is stronger than kill -9
// (the page cache is lost too); surviving it rests on the sync calls
// above, which a test on a running kernel cannot show.
//
// # Quota and free space
//
// Two limits, both checked by Put before it writes, counting the other
// Puts in flight: Config.MaxBytes caps the bytes the store holds (PDUs
// plus their journal lines; Stats.Bytes), and Config.MinFree keeps a floor of free
// space on the filesystem (statfs(2) f_bavail; 32 MiB if zero) so that a
// full store never fills the card the system runs from. The store never
// deletes a message on its own: a message is the owner's data, and
// silently dropping the oldest would lose it without a trace. When a
// limit is reached Put returns ErrFull, which is transient: the MMSC
// answers the phone with a transient-failure status (the phone retries
// later), Stats.LastError says why, and the owner frees space with
// Delete. The same holds for ENOSPC and EDQUOT met while writing.
// Stats.Full says which limit refused the last message (FullQuota or
// FullDisk) for as long as a message of its size would still be refused:
// it clears when a message is stored, or when Stats finds room for one
// again (messages deleted, the card freed), so the OLED and /healthz can
// say "full" even while the quota is not quite reached.
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
// made Put cheaper still, which only widens the gap.)
//
// # Events
//
// SetSeen and SetDelivery (the delivery to paired phones, recorded by
// internal/deliver) change a message's metadata through one update path:
// a new journal line, synced, then the index, then a Changed event.
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
// dropped arrivals back from the index and journal once its consumer has
// caught up, so no arrival is lost; dropped changes and deletions become
// one Resync event, after which the consumer re-reads what it keeps.
//
// What a consumer missed while the appliance was off is its own to
// recover at start, as its own state says what it has seen. The
// appliance's consumers (Subscribers lists them at run time):
//
//	"owner SMS"        internal/modem/notify (Notifier.Feed): a text to the owner; recovers the newest unseen messages its ledger lacks
//	"delivery"         internal/deliver (Deliverer.Follow): WAP push to paired recipients; recovers those received within the expiry
//	"display"          internal/display (Follow): redraws the OLED; reads the store afresh at each redraw
//	"inbox thumbnails" internal/inbox: removes a deleted message's thumbnails; a Resync sweeps them
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
