// Package spool is a durable, bounded, single-consumer write-ahead queue on
// local disk. The webhook receiver appends every accepted notification to the
// spool and acknowledges it only once Append has returned nil; a single
// background consumer drains the spool in append order (Next), writes the
// records to ClickHouse and then records its progress (Commit).
//
// # Guarantees
//
//   - Durability: Append returns nil only after the record has been written
//     and fsync'd. Appends from concurrent goroutines are group-committed: one
//     writer goroutine takes every pending record, writes them with a single
//     write call per segment, calls fsync once and then releases all waiters.
//   - Order: Next hands out records in the order in which they became durable,
//     which for every single appender is the order of its own Append calls.
//   - Delivery: within one process run (one Open), a record is handed out by
//     Next at most once. Records that were not committed before a crash or
//     Close are handed out again after the next Open (at-least-once), so the
//     consumer must be idempotent.
//   - Bound: the bytes of records that are durable (or being written) but not
//     yet committed never exceed Options.MaxBytes; Append fails fast with
//     ErrFull instead. Disk usage can exceed MaxBytes by at most roughly one
//     segment (the consumed head of the oldest live segment is only reclaimed
//     when the whole segment is consumed). Once every record is committed the
//     writer starts a new, empty segment and the drained one is deleted, so an
//     idle spool holds no records on disk.
//   - Disk headroom: with Options.MinFreeBytes, Append refuses a record that
//     would leave less free on the file system (*DiskLowError, also ErrFull)
//     before the disk is full; Health says so until the space is back, which
//     a periodic measurement notices by itself.
//   - A full disk never stops the consumer: Commit writes only bytes that are
//     already allocated (the checkpoint is overwritten in place) and frees
//     segments.
//   - Next only hands out records that are already durable.
//
// # On-disk format
//
// A spool directory contains:
//
//	NNNNNNNNNNNNNNNNNNNN.seg  segment files; NNN… is a 20-digit, zero-padded
//	                          decimal sequence number, starting at 1
//	checkpoint                consumer checkpoint, 1024 bytes, created by Open
//	checkpoint.tmp            transient, exists only while Open creates the checkpoint
//	LOCK                      flock(2)ed while the spool is open (unix only)
//
// A segment is a plain concatenation of records without any file header.
// Every record is
//
//	bytes 0..4   uint32, little endian: length n of data (n >= 1; 0 is invalid)
//	bytes 4..8   uint32, little endian: CRC-32C (Castagnoli) of data
//	bytes 8..8+n data
//
// Empty payloads are rejected by Append so that a zero-filled region (a
// common result of power loss on file systems that extend the file size
// before the data blocks are written) can never parse as valid records.
// A segment is rotated (a new file with the next number is created and the
// directory fsync'd) before a record would make it larger than
// Options.SegmentBytes; a record larger than SegmentBytes gets a segment of
// its own. Only the highest-numbered segment is ever written to, and a
// segment is fsync'd before the next one is created, so only the last
// segment can have a torn tail.
//
// A Position names the byte just after a record: (segment number, offset).
// The checkpoint file is 1024 bytes: two 36-byte slots, at offsets 0 and 512
// (one per sector), each
//
//	bytes 0..8   magic "FBSPCKP2"
//	bytes 8..16  uint64, little endian: generation
//	bytes 16..24 uint64, little endian: segment number of the last consumed record
//	bytes 24..32 uint64, little endian: offset just after the last consumed record
//	bytes 32..36 uint32, little endian: CRC-32C of bytes 0..32
//
// The slot with the highest generation among those whose magic and checksum
// are valid is the checkpoint. Open creates the file at its full size (write
// checkpoint.tmp, fsync, rename, fsync the directory) with generation 0 at
// the zero position; from then on Commit overwrites in place the slot that
// does not hold the checkpoint with generation+1 and fsyncs the file. So a
// commit needs no new disk space, and a write torn by a crash spoils only the
// slot being written: the other still holds the previous checkpoint, from
// which the records after it are handed out again (at-least-once). Segments
// whose records are all at or before the checkpoint are deleted after it is
// durable. The 28-byte single-record format of earlier versions (magic
// "FBSPCKP1") is read and converted by Open.
//
// # Recovery
//
// Open deletes segments entirely before the checkpoint and scans the rest
// from the checkpoint on, rebuilding the pending record and byte counts. A
// partial record, a zero length or a CRC mismatch in the last segment is a
// torn tail: the segment is truncated at the start of that record and a
// warning is logged. The same in any other segment, a missing segment, a
// checkpoint beyond the end of its segment or a corrupt checkpoint file is
// an error (a *CorruptionError where it concerns a record, naming the file
// and offset): Open refuses to silently drop data that was acknowledged.
package spool
