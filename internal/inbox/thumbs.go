package inbox

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	// Decoders of the types thumbable accepts.
	_ "image/gif"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Thumbnails are made when the list first asks for one, never when a
// message arrives: receiving stays as cheap as storing the PDU. Each is
// cached as a small JPEG under Config.Dir/thumbs/<id>-<part>.jpg (an
// empty <id>-<part>.none records a part that cannot be decoded) and
// removed with its message.
const (
	thumbBox     = 160              // longest side, pixels (about 80 CSS px on a 2x screen)
	maxThumbSrc  = 40 * 1000 * 1000 // pixels of a source image; larger ones are not decoded
	thumbQuality = 80
)

var errNoThumb = errors.New("inbox: no thumbnail for this part")

type thumbs struct {
	dir   string
	store *store.Store
	log   *slog.Logger
	// one decode at a time: a list page asks for dozens at once, and the
	// MMSC listener must keep its CPU on a Pi Zero's single core.
	busy chan struct{}
}

func newThumbs(dir string, st *store.Store, log *slog.Logger) *thumbs {
	return &thumbs{dir: dir, store: st, log: log, busy: make(chan struct{}, 1)}
}

func (t *thumbs) paths(id string, idx int) (jpg, none string) {
	base := filepath.Join(t.dir, id+"-"+strconv.Itoa(idx))
	return base + ".jpg", base + ".none"
}

// get returns the thumbnail of part idx of message id, making it if
// needed.
func (t *thumbs) get(ctx context.Context, id string, idx int) ([]byte, error) {
	jpg, none := t.paths(id, idx)
	if b, err := os.ReadFile(jpg); err == nil {
		return b, nil
	}
	if _, err := os.Stat(none); err == nil {
		return nil, errNoThumb
	}
	select {
	case t.busy <- struct{}{}:
	case <-ctx.Done(): // the browser left the page
		return nil, ctx.Err()
	}
	defer func() { <-t.busy }()
	if b, err := os.ReadFile(jpg); err == nil { // made while we waited
		return b, nil
	}
	data, pm, err := t.store.Part(id, idx)
	if err != nil {
		return nil, err
	}
	if !thumbable(pm.ContentType) {
		return nil, errNoThumb
	}
	b, err := makeThumb(data, mediaType(pm.ContentType))
	if err != nil {
		t.log.Info("inbox: no thumbnail", "id", id, "part", idx, "err", err)
		if werr := atomicfile.Write(none, nil, true); werr != nil {
			t.log.Warn("inbox: thumbnail cache", "err", werr)
		}
		return nil, errNoThumb
	}
	if err := atomicfile.Write(jpg, b, true); err != nil {
		t.log.Warn("inbox: thumbnail cache", "err", err) // still serve it
	}
	return b, nil
}

// makeThumb decodes an image, refusing sizes that would take too much
// memory, and scales it to fit thumbBox.
func makeThumb(data []byte, mt string) ([]byte, error) {
	src, err := decodeImage(data, mt)
	if err != nil {
		return nil, err
	}
	w, h := fit(src.Bounds().Dx(), src.Bounds().Dy(), thumbBox)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: thumbQuality}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// decodeImage decodes a picture of media type mt (WBMP has no magic
// number, so it is told by its type; the rest by their own), refusing
// sizes that would take too much memory.
func decodeImage(data []byte, mt string) (image.Image, error) {
	if mt == wbmpType {
		return decodeWBMP(data) // bounded by maxWBMPSide
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxThumbSrc {
		return nil, errors.New("image too large to decode")
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	return src, err
}

// fit scales w×h down (never up) to fit a box×box square.
func fit(w, h, box int) (int, int) {
	if w <= box && h <= box {
		return w, h
	}
	if w >= h {
		return box, max(1, h*box/w)
	}
	return max(1, w*box/h), box
}

// follow removes a deleted message's thumbnails, on its own goroutine:
// the store's Delete only queues the event. After a Resync (deletions
// dropped from the full queue) it removes every thumbnail whose message
// is gone. stop ends it and waits.
func (t *thumbs) follow(sub *store.Subscription) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sub.Run(ctx, func(ev store.Event) {
			switch ev.Kind {
			case store.Deleted:
				t.remove(ev.Meta.ID, len(ev.Meta.Parts))
			case store.Resync:
				t.sweep()
			}
		})
	}()
	return func() { cancel(); <-done }
}

// remove deletes the cached thumbnails of the n parts of message id.
func (t *thumbs) remove(id string, n int) {
	for i := range n {
		jpg, none := t.paths(id, i)
		os.Remove(jpg)
		os.Remove(none)
	}
}

// sweep deletes the cached thumbnails of messages no longer stored.
func (t *thumbs) sweep() {
	ents, _ := os.ReadDir(t.dir)
	for _, e := range ents {
		name := e.Name()
		id := name[:max(0, strings.LastIndexByte(name, '-'))]
		if _, ok := t.store.Get(id); !ok && store.ValidID(id) {
			os.Remove(filepath.Join(t.dir, name))
		}
	}
}

func (h *Handler) thumb(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	idx, err := strconv.Atoi(r.PathValue("path"))
	if err != nil || !store.ValidID(id) {
		http.NotFound(w, r)
		return
	}
	b, err := h.thumbs.get(r.Context(), id, idx)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Write(b)
}
