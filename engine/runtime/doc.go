// Package runtime turns an OCI runtime-spec bundle into running processes
// in Linux namespaces: rootfs (overlay) mount, pivot_root, /proc, /dev,
// masked and read-only paths, hostname, rlimits, user and groups,
// capabilities, seccomp and no_new_privs.
//
// Process shape: the parent starts `berth __init` in new namespaces. That
// init stays as PID 1: it reaps zombies and forwards signals (docker's
// --init behaviour) and starts every process of the container through
// `berth __exec`, which drops privileges and execs the user's program.
//
// Joining a running container (exec) does not use setns: Go cannot setns a
// multithreaded process into a mount namespace. Instead the init, which
// already lives in all of the container's namespaces and its cgroup, serves
// exec requests on a unix socket in the bundle directory (root-only), and
// receives the caller's stdio as file descriptors over it.
//
// The init marks itself non-dumpable so processes in the container cannot
// reach the berth binary through /proc/1/exe. This package must never decide
// policy (which image, which limits): it executes the spec it is given.
package runtime
