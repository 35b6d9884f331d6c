// Package layer converts between layer tars and directory trees: Apply
// unpacks a (compressed) layer into a directory in one streaming pass while
// hashing it, and Diff writes a directory's changes back out as a layer.
//
// On disk, whiteouts take overlayfs's form (a 0/0 character device, the
// trusted.overlay.opaque xattr) so unpacked layers stack directly as overlay
// lowerdirs; in tars they take OCI's form (.wh.name, .wh..wh..opq).
//
// Apply must never write outside its target directory, whatever the tar
// says: every path is resolved with openat2(RESOLVE_BENEATH) from a
// descriptor of the target, so "..", absolute names and symlinks that point
// out are refused by the kernel rather than by string checks alone.
package layer
