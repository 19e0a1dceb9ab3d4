// Package store keeps the messages the MMSC receives on the appliance's
// SD card: the original PDU byte for byte, and what the appliance knows
// about it (sender, recipients, subject, parts, seen state).
//
// # Layout on disk
//
// Everything lives under Config.Dir (the appliance uses /var/lib/homemmsc):
//
//	lock                      flock(2) held while a Store is open: one process per directory
//	seq                       sequence high-water mark; written only by Delete
//	messages/<id>.mms         the PDU exactly as received
//	messages/<id>.json        the metadata (Meta as JSON); its presence commits the entry
//	messages/.tmp-*           a write in progress; removed by Open
//	damaged/<id>.{mms,json}   entries Open could not trust; kept for the owner, never indexed
//
// An id is "YYYYMMDD-hhmmss-NNNNNN": the UTC time the message arrived and
// a sequence number of at least six digits. Ids hold only digits and '-',
// so they are safe in URLs and file names, and every method that takes an
// id validates it (ErrInvalidID) before it comes near a path. The
// sequence makes ids unique: it is allocated under the store's lock (50
// Puts in the same second get 50 ids) and recovered at Open as one more
// than the highest of every id on disk (messages/ and damaged/) and the
// seq file. Delete writes the seq file before it removes the newest
// message, so a deleted id is not issued again after a restart. The
// clock is not trusted for uniqueness or order: a Pi has no RTC and may
// boot in 1970; List orders by sequence, and Meta.ClockSynced says
// whether Meta.Received can be believed.
//
// Part files are not stored: Meta.Parts[i].File ("part-01.jpg", the
// extension from a media-type table, ".bin" when unknown) is the safe
// name to offer the part under, and Part decodes it from the PDU. A name
// from the PDU (Meta.Parts[i].Name) is metadata for display, never a
// path.
//
// # Writing: atomic and durable
//
// Every file is written as a temporary file in its final directory,
// written, fsynced, closed and renamed over its final name. Put does this
// for the PDU and the metadata, renames the PDU before the metadata,
// fsyncs the messages directory and only then returns: a nil error means
// both files and both names are on the card.
// The metadata rename is the commit point of an entry, and it is issued
// only after both fsyncs returned, so no crash can leave a committed name
// whose PDU or metadata bytes are not on the card; a crash between the
// renames and the directory sync leaves at worst one of the two names,
// which Open removes (below). Delete removes the metadata first, so its
// removal is the commit point of a deletion. SetSeen and MarkAllSeen
// replace the metadata file the same way (MarkAllSeen syncs the directory
// once for all of them); the index changes only after the file did.
//
// Two things make this cheaper than three fsyncs one after the other,
// without weakening any of it:
//
//   - A Put that runs alone (no other Put placing its files now, nor for
//     the last 64 Puts) fsyncs its two files at the same time, one on a
//     second goroutine, so an otherwise idle card serves both flushes at
//     once. Under load the device is busy with other Puts anyway and the
//     extra thread only costs CPU, so those Puts sync their two files one
//     after the other.
//   - Concurrent Puts share the directory fsync (group commit): a Put
//     that finds a directory sync already running waits for the next one,
//     which starts after its renames and so covers them, and that one
//     sync answers every Put that arrived meanwhile. A failed sync fails
//     exactly the Puts it was to cover, which undo their renames.
//
// syncfs(2) once per batch instead of the per-file fsyncs was measured
// too and rejected: it flushes every file of the filesystem (on a Pi, the
// root filesystem, logs included), and it reports a writeback error once
// per descriptor, to whichever caller syncs next, so a Put whose data
// failed to reach the card could be answered Ok.
//
// Measured with cmd/mmsload on the VM of the figures below (ext4 without
// a journal on virtio; quiet runs of 800-1500 messages, 3 each): fsync
// calls per message went from 3.00 to 2.61 with 8 clients and 2.17 with
// 64 (perf stat); overlapping a lone Put's two fsyncs took one client
// from 474-510 to 528-583 req/s at 30 KB and from 247-307 to 314-356 at
// 300 KB, for 0.05-0.1 ms more CPU per message. Most of Put's CPU is the
// kernel's: the fsyncs, the Go runtime handing its P over around each
// blocking one (about 20 context switches per message), and ext4 inode
// allocation, which on a filesystem without a journal scans past every
// inode freed in the last minutes (a benchmark that deletes the previous
// run's store pays up to a quarter of its CPU there). statfs(2) and
// adjtimex(2) cost about 2 µs each per Put and are not worth caching.
//
// A write that fails (ENOSPC, EDQUOT, EIO, at any step) removes its
// temporary file and whatever it had already renamed into place, so
// nothing is half-written; ENOSPC and EDQUOT are returned as ErrFull
// (wrapping the errno). The filesystem calls go through a small internal
// interface so that tests inject faults at every step.
//
// # Crash recovery
//
// Open takes the lock, then repairs the directory before anything reads
// it:
//
//   - temporary files (.tmp-*) are removed: a write that never renamed;
//   - a PDU without metadata is removed. It is either a Put that crashed
//     before its commit point — Put had not returned, so the phone got no
//     M-Send.conf Ok and will send the message again; rebuilding the
//     metadata from the PDU would store it twice — or a Delete that
//     crashed after its commit point, which this completes;
//   - metadata without a PDU is removed: it can only be a Put whose
//     renames reached the disk out of order before its directory sync,
//     which was never acknowledged either;
//   - an entry whose metadata does not parse, names another id, or gives
//     a PDU size that differs from the file's is moved to damaged/ and
//     logged: the store does not delete what it cannot explain.
//
// The index is then rebuilt from the metadata files alone (the PDUs are
// only stat'ed), which keeps Open fast: 52-93 ms for 1000 messages on
// the machine of the figures below (go test -run '^$' -bench Open
// -benchtime 20x ./internal/store/).
//
// TestKill9KeepsAcknowledged kills a process storing from 8 goroutines
// with SIGKILL three times over one directory and checks that every
// message whose Put returned survives intact (sha256) and that Open left
// no temporary file or half entry. A power cut is stronger than kill -9
// (the page cache is lost too); surviving it rests on the fsync calls
// above, which a test on a running kernel cannot show.
//
// # Quota and free space
//
// Two limits, both checked by Put before it writes, counting the other
// Puts in flight: Config.MaxBytes caps the bytes the store holds (PDUs
// plus metadata; Stats.Bytes), and Config.MinFree keeps a floor of free
// space on the filesystem (statfs(2) f_bavail; 32 MiB if zero) so that a
// full store never fills the card the system runs from. The store never
// deletes a message on its own: a message is the owner's data, and
// silently dropping the oldest would lose it without a trace. When a
// limit is reached Put returns ErrFull, which is transient: the MMSC
// answers the phone with a transient-failure status (the phone retries
// later), Stats.LastError says why, and the owner frees space with
// Delete. The same holds for ENOSPC and EDQUOT met while writing.
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
// and always on SD wear, which is what limits a Pi's card. Put itself
// costs 1.3-2.9 ms of CPU, 80-90 % of it system time in fsync.
//
// # Events
//
// Subscribe registers a callback for Stored, Changed and Deleted. It is
// called synchronously by the goroutine that made the change, once the
// change is durable and after the store's locks are released, so it may
// read the store. It must not block (hand the event to a channel or a
// goroutine): Put does not return to the phone until every callback has.
// Callbacks may run concurrently when changes are.
//
// # Limits
//
// MaxPDUSize (8 MiB) per PDU; MaxHints hints of at most MaxHintLen bytes;
// MaxRecipients recorded addresses; MaxTextLen bytes per recorded string.
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
//   - statfs(2) f_bavail: blocks available to unprivileged users.
//   - flock(2): advisory lock, released when the process dies (kill -9 included).
package store
