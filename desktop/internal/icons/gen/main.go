// Command gen draws the Gatepass icons (a keyhole on a rounded square) and
// writes them as PNG and ICO files: the app icon, the tray's "tunnel up"
// and "no tunnel" icons, and build/appicon.png for the Wails CLI. Run it
// from the repo root when the design changes; the files are committed:
//
//	go run ./desktop/internal/icons/gen
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

type rgb struct{ r, g, b float64 }

var (
	blue  = rgb{0x25, 0x63, 0xeb}
	green = rgb{0x16, 0xa3, 0x4a}
	grey  = rgb{0x6b, 0x72, 0x80}
)

// inside reports whether (x, y) in [0,1]² is on the tile (1), the keyhole (2) or outside (0).
func inside(x, y float64) int {
	const r = 0.22
	// rounded square
	cx, cy := math.Min(math.Max(x, r), 1-r), math.Min(math.Max(y, r), 1-r)
	if math.Hypot(x-cx, y-cy) > r {
		return 0
	}
	// keyhole: a circle and a widening stem
	if math.Hypot(x-0.5, y-0.40) <= 0.145 {
		return 2
	}
	if y >= 0.40 && y <= 0.76 {
		t := (y - 0.40) / 0.36
		half := 0.055 + t*0.055
		if math.Abs(x-0.5) <= half {
			return 2
		}
	}
	return 1
}

func draw(size int, fill rgb) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var a, r, g, b float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					switch inside(x, y) {
					case 1:
						shade := 1.08 - 0.16*y // a soft top-to-bottom gradient
						a++
						r += math.Min(255, fill.r*shade)
						g += math.Min(255, fill.g*shade)
						b += math.Min(255, fill.b*shade)
					case 2:
						a++
						r += 255
						g += 255
						b += 255
					}
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(a / (ss * ss) * 255)})
		}
	}
	return img
}

func pngBytes(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// ico packs PNG images into an ICO file (PNG-compressed entries, Vista+).
func ico(sizes []int, fill rgb) []byte {
	var pngs [][]byte
	for _, s := range sizes {
		pngs = append(pngs, pngBytes(draw(s, fill)))
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, [3]uint16{0, 1, uint16(len(sizes))})
	offset := 6 + 16*len(sizes)
	for i, s := range sizes {
		w := byte(s)
		if s >= 256 {
			w = 0
		}
		buf.Write([]byte{w, w, 0, 0})
		binary.Write(&buf, binary.LittleEndian, [2]uint16{1, 32})
		binary.Write(&buf, binary.LittleEndian, [2]uint32{uint32(len(pngs[i])), uint32(offset)})
		offset += len(pngs[i])
	}
	for _, p := range pngs {
		buf.Write(p)
	}
	return buf.Bytes()
}

func write(path string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		panic(err)
	}
	fmt.Println("wrote", path, len(b), "bytes")
}

func main() {
	dir := "desktop/internal/icons"
	write(filepath.Join(dir, "app.png"), pngBytes(draw(256, blue)))
	write(filepath.Join(dir, "tray-on.png"), pngBytes(draw(64, green)))
	write(filepath.Join(dir, "tray-off.png"), pngBytes(draw(64, grey)))
	write(filepath.Join(dir, "tray-on.ico"), ico([]int{16, 32, 48}, green))
	write(filepath.Join(dir, "tray-off.ico"), ico([]int{16, 32, 48}, grey))
	write("build/appicon.png", pngBytes(draw(1024, blue)))
	write("build/linux/gatepass.png", pngBytes(draw(256, blue)))
	write("build/windows/icon.ico", ico([]int{16, 24, 32, 48, 64, 128, 256}, blue))
	write("frontend/public/icon.svg", []byte(svg()))
}

// svg is the same keyhole tile for the UI's header and favicon.
func svg() string {
	return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" rx="22" fill="#2563eb"/><circle cx="50" cy="40" r="14.5" fill="#fff"/><path d="M44.5 40h11l5.5 36h-22z" fill="#fff"/></svg>
`
}
