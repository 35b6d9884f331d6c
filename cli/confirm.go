package cli

import (
	"bufio"
	"fmt"
	"strings"
)

// confirm asks before destructive work, as docker does; -f/--force skips it.
// Anything but y/yes (including no input at all) means no.
func (a *app) confirm(warning string) bool {
	fmt.Fprintf(a.stdout, "WARNING! %s\nAre you sure you want to continue? [y/N] ", warning)
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	ans := strings.ToLower(strings.TrimSpace(line))
	if ans == "y" || ans == "yes" {
		return true
	}
	fmt.Fprintln(a.stdout)
	return false
}
