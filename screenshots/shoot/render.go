package main

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"strings"

	"github.com/hinshun/vt10x"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

var (
	defaultFG = color.RGBA{0xe4, 0xe4, 0xe7, 0xff}
	defaultBG = color.RGBA{0x18, 0x18, 0x1b, 0xff}
)

// renderPNG replays captured screen text (with SGR escapes) through a VT
// emulator and paints each cell.
func renderPNG(screen string, cols, rows int, path string) error {
	term := vt10x.New(vt10x.WithSize(cols, rows))
	// capture-pane ends lines with \n only; the emulator needs \r\n.
	term.Write([]byte(strings.ReplaceAll(strings.TrimRight(screen, "\n"), "\n", "\r\n")))
	// Go Mono has the box-drawing glyphs the TUI draws with.
	ft, err := opentype.Parse(gomono.TTF)
	if err != nil {
		return err
	}
	face, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: 12, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return err
	}
	adv, _ := face.GlyphAdvance('M')
	cw, ch := adv.Ceil(), 15
	img := image.NewRGBA(image.Rect(0, 0, cols*cw, rows*ch))
	draw.Draw(img, img.Bounds(), &image.Uniform{defaultBG}, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Face: face}
	term.Lock()
	defer term.Unlock()
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			g := term.Cell(x, y)
			fg, bg := toRGBA(g.FG, defaultFG), toRGBA(g.BG, defaultBG)
			if g.FG == vt10x.DefaultBG { // reverse video swapped the defaults
				fg = defaultBG
			}
			if g.BG == vt10x.DefaultFG {
				bg = defaultFG
			}
			cell := image.Rect(x*cw, y*ch, (x+1)*cw, (y+1)*ch)
			draw.Draw(img, cell, &image.Uniform{bg}, image.Point{}, draw.Src)
			if g.Char == ' ' || g.Char == 0 {
				continue
			}
			if g.Char >= '▁' && g.Char <= '█' {
				// Lower block elements (graphs) are painted as the bars
				// they mean: Go Mono has only the full block.
				h := int(g.Char-'▁'+1) * ch / 8
				draw.Draw(img, image.Rect(x*cw, (y+1)*ch-h, (x+1)*cw, (y+1)*ch), &image.Uniform{fg}, image.Point{}, draw.Src)
				continue
			}
			d.Src = &image.Uniform{fg}
			d.Dot = fixed.P(x*cw, y*ch+12)
			d.DrawString(string(g.Char))
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return png.Encode(f, img)
}

// toRGBA maps vt10x colors: the 16 ANSI colors, the xterm 256 palette, and
// 24-bit colors (stored as r<<16|g<<8|b).
func toRGBA(c vt10x.Color, def color.RGBA) color.RGBA {
	switch {
	case c >= vt10x.DefaultFG:
		return def
	case c < 16:
		return ansi16[c]
	case c < 232:
		i := int(c) - 16
		lv := func(v int) uint8 {
			if v == 0 {
				return 0
			}
			return uint8(55 + v*40)
		}
		return color.RGBA{lv(i / 36), lv(i / 6 % 6), lv(i % 6), 0xff}
	case c < 256:
		v := uint8(8 + (int(c)-232)*10)
		return color.RGBA{v, v, v, 0xff}
	}
	return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 0xff}
}

var ansi16 = [16]color.RGBA{
	{0x00, 0x00, 0x00, 0xff}, {0xcd, 0x31, 0x31, 0xff}, {0x0d, 0xbc, 0x79, 0xff}, {0xe5, 0xe5, 0x10, 0xff},
	{0x24, 0x72, 0xc8, 0xff}, {0xbc, 0x3f, 0xbc, 0xff}, {0x11, 0xa8, 0xcd, 0xff}, {0xe5, 0xe5, 0xe5, 0xff},
	{0x66, 0x66, 0x66, 0xff}, {0xf1, 0x4c, 0x4c, 0xff}, {0x23, 0xd1, 0x8b, 0xff}, {0xf5, 0xf5, 0x43, 0xff},
	{0x3b, 0x8e, 0xff, 0xff}, {0xd6, 0x70, 0xd6, 0xff}, {0x29, 0xb8, 0xdb, 0xff}, {0xff, 0xff, 0xff, 0xff},
}
