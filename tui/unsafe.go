package tui

import "unsafe"

// unsafePointer reads an inotify event header in place, as the kernel
// wrote it; the buffer outlives the read.
func unsafePointer(b *byte) unsafe.Pointer { return unsafe.Pointer(b) }
