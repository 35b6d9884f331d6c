// Package cgroups puts a container's processes under resource limits and
// reads their usage, on cgroup v1, v2, or a hybrid of both. Which one a
// machine has is read from /proc/self/mountinfo, never assumed: a hybrid
// host (v1 controllers plus a cgroup2 mount holding few or none) is driven
// through v1, as runc does.
//
// A controller that is not there is reported missing, so callers can show
// "n/a" rather than a silent zero. It must never kill or move processes it
// did not put in its own cgroup.
package cgroups
