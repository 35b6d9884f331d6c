package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
)

// render writes rows (all of zero's type) as docker does for --format: "" or "table" gives the
// default table, "table TEMPLATE" a table with TEMPLATE's columns, "json"
// one JSON object per line, anything else a Go template per row.
func render(w io.Writer, format, defaultTable string, zero any, rows []any) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	table := false
	switch {
	case format == "" || format == "table":
		format, table = defaultTable, true
	case strings.HasPrefix(format, "table "):
		format, table = strings.TrimPrefix(format, "table "), true
	}
	// Users type \t for a tab on the command line, as with docker.
	format = strings.ReplaceAll(format, `\t`, "\t")
	tmpl, err := template.New("format").Funcs(template.FuncMap{
		"json": func(v any) (string, error) { b, err := json.Marshal(v); return string(b), err },
		"join": strings.Join, "upper": strings.ToUpper, "lower": strings.ToLower,
	}).Option("missingkey=error").Parse(format)
	if err != nil {
		return usageError(fmt.Errorf("--format: %w", err))
	}
	// Checked on a zero row so a wrong field fails even with nothing to list.
	if err := tmpl.Execute(io.Discard, zero); zero != nil && err != nil {
		return usageError(fmt.Errorf("--format: %w", err))
	}
	out := w
	var tw *tabwriter.Writer
	if table {
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		fmt.Fprintln(out, header(format, zero))
	}
	for _, r := range rows {
		if err := tmpl.Execute(out, r); err != nil {
			return usageError(fmt.Errorf("--format: %w", err))
		}
		fmt.Fprintln(out)
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// headed lets a row type name its own columns (a container's ID column is
// CONTAINER ID, an image's IMAGE ID).
type headed interface{ headers() map[string]string }

// header turns "{{.ID}}\t{{.CreatedSince}}" into "IMAGE ID\tCREATED".
func header(format string, zero any) string {
	names := map[string]string{"ID": "IMAGE ID", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
		"CreatedBy": "CREATED BY", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "Size": "SIZE",
		"Comment": "COMMENT", "Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Reclaimable": "RECLAIMABLE"}
	if h, ok := zero.(headed); ok {
		for k, v := range h.headers() {
			names[k] = v
		}
	}
	var cols []string
	for _, col := range strings.Split(format, "\t") {
		name := strings.TrimSpace(col)
		if i := strings.Index(name, "{{."); i >= 0 {
			rest := name[i+3:]
			if j := strings.IndexAny(rest, "} "); j >= 0 {
				rest = rest[:j]
			}
			name = rest
			if h, ok := names[name]; ok {
				name = h
			} else {
				name = strings.ToUpper(name)
			}
		}
		cols = append(cols, name)
	}
	return strings.Join(cols, "\t")
}
