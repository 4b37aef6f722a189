package facegen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // photos
	_ "image/png"  // photos
	"io"
	"os"
	"sync"
)

// Generator is the version written into the truth and mixed into cache keys;
// bump it whenever the rendering changes.
const Generator = "facegen/1"

// Attack kinds.
const (
	AttackNone   = "none"
	AttackFlat   = "flat"   // a printed photo moved and turned as a rigid plane
	AttackStill  = "still"  // a still photo: every frame the same
	AttackScreen = "screen" // the clip replayed on a screen held in front of the camera
	AttackLoop   = "loop"   // the clip's frames repeated exactly
)

// Lighting kinds.
const (
	LightNormal  = "normal"
	LightDark    = "dark"
	LightBacklit = "backlit"
	LightBright  = "bright"
)

// Params describe a clip. The zero values of the optional fields take the
// defaults of Defaults.
type Params struct {
	Face       string  `json:"face"`                  // path of a frontal face photo (JPEG or PNG)
	Script     string  `json:"script"`                // see ParseScript
	Seed       uint64  `json:"seed"`                  // sway, blinks and noise
	Width      int     `json:"width"`                 // frame width, even (640)
	Height     int     `json:"height"`                // frame height, even (480)
	FPS        int     `json:"fps"`                   // frames per second (15)
	Light      string  `json:"light"`                 // normal, dark, backlit, bright
	Noise      float64 `json:"noise"`                 // sensor noise σ in luma levels (0)
	Blur       bool    `json:"blur"`                  // motion blur
	Scale      float64 `json:"scale"`                 // face width / frame width, 0.2..0.6 (0.35)
	Glasses    bool    `json:"glasses"`               // draw glasses
	SecondFace string  `json:"second_face,omitempty"` // photo of a second person in the background
	Attack     string  `json:"attack"`                // none, flat, still, screen, loop
	Loops      int     `json:"loops,omitempty"`       // times the clip is played for the loop attack (3)
	NoSway     bool    `json:"no_sway"`               // no head sway
	NoBlinks   bool    `json:"no_blinks"`             // no natural blinks
	// Tempo multiplies the transition times of the scripted gestures (a
	// head turn 0.45 s, a lid 0.1 s, the mouth 0.25 s; never more than half
	// the step): 0.6 turns the head in 0.27 s, 2 in 0.9 s. 0 means 1 (and
	// leaves the cache keys of the clips rendered before it as they were).
	Tempo float64 `json:"tempo,omitempty"`
}

// Defaults fills the zero fields of p with their defaults.
func (p Params) Defaults() Params {
	if p.Width == 0 {
		p.Width = 640
	}
	if p.Height == 0 {
		p.Height = 480
	}
	if p.FPS == 0 {
		p.FPS = 15
	}
	if p.Light == "" {
		p.Light = LightNormal
	}
	if p.Scale == 0 {
		p.Scale = 0.35
	}
	if p.Attack == "" {
		p.Attack = AttackNone
	}
	if p.Attack == AttackLoop && p.Loops == 0 {
		p.Loops = 3
	}
	return p
}

func (p Params) validate() error {
	switch {
	case p.Face == "":
		return errors.New("facegen: no face photo")
	case p.Width < 64 || p.Height < 64 || p.Width%2 != 0 || p.Height%2 != 0 || p.Width > 4096 || p.Height > 4096:
		return fmt.Errorf("facegen: size %dx%d must be even and within 64..4096", p.Width, p.Height)
	case p.FPS < 1 || p.FPS > 120:
		return fmt.Errorf("facegen: fps %d out of range 1..120", p.FPS)
	case p.Scale < 0.2 || p.Scale > 0.6:
		return fmt.Errorf("facegen: scale %g out of range 0.2..0.6", p.Scale)
	case p.Noise < 0 || p.Noise > 50:
		return fmt.Errorf("facegen: noise %g out of range 0..50", p.Noise)
	case p.Loops < 0 || p.Loops > 100:
		return fmt.Errorf("facegen: loops %d out of range", p.Loops)
	case p.Tempo != 0 && (p.Tempo < 0.25 || p.Tempo > 4):
		return fmt.Errorf("facegen: tempo %g out of range 0.25..4", p.Tempo)
	}
	switch p.Light {
	case LightNormal, LightDark, LightBacklit, LightBright:
	default:
		return fmt.Errorf("facegen: unknown light %q: want normal, dark, backlit or bright", p.Light)
	}
	switch p.Attack {
	case AttackNone, AttackFlat, AttackStill, AttackScreen, AttackLoop:
	default:
		return fmt.Errorf("facegen: unknown attack %q: want none, flat, still, screen or loop", p.Attack)
	}
	return nil
}

// Landmarker finds the 68 landmarks of the one face of a photo.
type Landmarker interface {
	Landmarks(img image.Image) (Landmarks, error)
}

// LandmarkerFunc adapts a function to Landmarker.
type LandmarkerFunc func(img image.Image) (Landmarks, error)

// Landmarks calls fn.
func (fn LandmarkerFunc) Landmarks(img image.Image) (Landmarks, error) { return fn(img) }

// Renderer renders clips. It finds each photo's landmarks once and keeps
// them (in memory, and in CacheDir when set). It is safe for concurrent use.
type Renderer struct {
	LM       Landmarker
	CacheDir string // optional: where landmarks of photos are kept between runs

	mu    sync.Mutex
	known map[string]Landmarks
}

// NewRenderer returns a Renderer that finds landmarks with lm.
func NewRenderer(lm Landmarker) *Renderer {
	return &Renderer{LM: lm, known: map[string]Landmarks{}}
}

// Photo is a decoded photo with its landmarks.
type Photo struct {
	Img  image.Image
	LM   Landmarks
	Hash string // sha256 of the file
}

// LoadPhoto decodes a photo and finds its landmarks (once per file content).
func (r *Renderer) LoadPhoto(path string) (*Photo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("facegen: photo: %w", err)
	}
	img, _, err := image.Decode(bytesReader(data))
	if err != nil {
		return nil, fmt.Errorf("facegen: decode photo %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	r.mu.Lock()
	if r.known == nil {
		r.known = map[string]Landmarks{}
	}
	lm, ok := r.known[h]
	r.mu.Unlock()
	if !ok && r.CacheDir != "" {
		lm, ok = readLandmarks(r.CacheDir, h)
	}
	if !ok {
		if r.LM == nil {
			return nil, errors.New("facegen: no landmark finder")
		}
		lm, err = r.LM.Landmarks(img)
		if err != nil {
			return nil, fmt.Errorf("facegen: landmarks of %s: %w", path, err)
		}
		if r.CacheDir != "" {
			if err := writeLandmarks(r.CacheDir, h, lm); err != nil {
				return nil, err
			}
		}
	}
	r.mu.Lock()
	r.known[h] = lm
	r.mu.Unlock()
	return &Photo{Img: img, LM: lm, Hash: h}, nil
}

// Clip is a rendered clip held in memory.
type Clip struct {
	Truth  Truth
	Frames []*YUVFrame
}

// Render renders the clip described by p.
func (r *Renderer) Render(p Params) (*Clip, error) {
	var c Clip
	err := r.render(p, func(f *YUVFrame) error {
		c.Frames = append(c.Frames, cloneFrame(f))
		return nil
	}, &c.Truth)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// WriteClip renders p and writes the video to video and the truth (JSON) to
// truth.
func (r *Renderer) WriteClip(p Params, video, truth io.Writer) error {
	p = p.Defaults()
	yw, err := NewY4MWriter(video, p.Width, p.Height, p.FPS)
	if err != nil {
		return err
	}
	var t Truth
	if err := r.render(p, yw.WriteFrame, &t); err != nil {
		return err
	}
	if err := yw.Flush(); err != nil {
		return fmt.Errorf("facegen: write video: %w", err)
	}
	enc := json.NewEncoder(truth)
	enc.SetIndent("", " ")
	if err := enc.Encode(&t); err != nil {
		return fmt.Errorf("facegen: write truth: %w", err)
	}
	return nil
}

func cloneFrame(f *YUVFrame) *YUVFrame {
	g := NewYUVFrame(f.W, f.H)
	copy(g.Y, f.Y)
	copy(g.U, f.U)
	copy(g.V, f.V)
	return g
}

// scene is everything prepared for one clip.
type scene struct {
	p      Params
	face   *Face
	tl     *timeline
	others []Box
	room   *rgbImage
}

func (r *Renderer) prepare(p Params) (*scene, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	sc, err := ParseScript(p.Script)
	if err != nil {
		return nil, err
	}
	ph, err := r.LoadPhoto(p.Face)
	if err != nil {
		return nil, err
	}
	face, err := NewFace(ph.Img, ph.LM, FaceOptions{Width: p.Width, Height: p.Height, Scale: p.Scale})
	if err != nil {
		return nil, err
	}
	s := &scene{p: p, face: face}
	if p.SecondFace != "" {
		ph2, err := r.LoadPhoto(p.SecondFace)
		if err != nil {
			return nil, err
		}
		box, err := face.addSecondFace(ph2)
		if err != nil {
			return nil, err
		}
		s.others = append(s.others, box)
	}
	live := p.Attack == AttackNone || p.Attack == AttackLoop || p.Attack == AttackScreen
	tempo := p.Tempo
	if tempo == 0 {
		tempo = 1
	}
	s.tl = newTimelineTempo(sc, p.FPS, p.Seed, !p.NoSway && p.Attack != AttackStill, !p.NoBlinks && live, tempo)
	if p.Attack == AttackFlat || p.Attack == AttackScreen {
		s.room = makeRoom(p.Width, p.Height, p.Seed)
	}
	return s, nil
}

func (r *Renderer) render(p Params, emit func(*YUVFrame) error, t *Truth) error {
	p = p.Defaults()
	s, err := r.prepare(p)
	if err != nil {
		return err
	}
	*t = Truth{
		Generator: Generator, Conventions: conventions, Params: p,
		Width: p.Width, Height: p.Height, FPS: p.FPS,
		Live: p.Attack == AttackNone, Attack: p.Attack,
		Gestures: s.tl.intervals, Blinks: s.tl.naturalBlinks(),
	}
	if t.Gestures == nil {
		t.Gestures = []Interval{}
	}
	if t.Blinks == nil {
		t.Blinks = []Blink{}
	}
	n := s.tl.frames
	if n == 0 {
		return fmt.Errorf("facegen: script of %v is shorter than one frame at %d fps", s.tl.sc.Duration(), p.FPS)
	}
	rd := &renderer{}
	rgb := newRGB(p.Width, p.Height)
	yuv := NewYUVFrame(p.Width, p.Height)
	var frames []*YUVFrame // the first pass, for the loop attack
	for i := 0; i < n; i++ {
		ft := s.frame(rd, i, rgb)
		toYUV(rgb, yuv, p.Noise, p.Seed, i)
		t.Frames = append(t.Frames, ft)
		if p.Attack == AttackLoop {
			frames = append(frames, cloneFrame(yuv))
		}
		if err := emit(yuv); err != nil {
			return err
		}
	}
	for l := 1; l < p.Loops; l++ {
		for i := 0; i < n; i++ {
			ft := t.Frames[i]
			ft.Index = l*n + i
			ft.Time = R3(float64(ft.Index) / float64(p.FPS))
			orig := i
			ft.LoopOf = &orig
			t.Frames = append(t.Frames, ft)
			if err := emit(frames[i]); err != nil {
				return err
			}
		}
	}
	t.NumFrames = len(t.Frames)
	return nil
}

// frame renders frame i into rgb and returns its truth.
func (s *scene) frame(rd *renderer, i int, rgb *rgbImage) FrameTruth {
	p := s.p
	st := s.tl.state(i)
	var lm, boxPts []Pt
	switch p.Attack {
	case AttackStill:
		st = Neutral
		copy(rgb.Pix, s.face.bg.Pix)
		lm = s.face.lm[:]
		boxPts = append(append([]Pt{}, lm...), s.face.hairPts(nil)...)
	case AttackFlat:
		// A print moves but cannot blink or open its mouth.
		st.LeftEye, st.RightEye, st.Mouth = 1, 1, 0
		lm, boxPts = s.flat(st, rgb)
	case AttackScreen:
		lm, boxPts = s.screen(rd, st, i, rgb)
	default:
		lm, boxPts = s.live(rd, st, i, rgb)
	}
	s.light(rgb, boxPts)
	ft := FrameTruth{
		Index: i, Time: R3(float64(i) / float64(p.FPS)),
		Yaw: R3(st.Yaw), Pitch: R3(st.Pitch), Roll: R3(st.Roll),
		LeftEye: R3(st.LeftEye), RightEye: R3(st.RightEye), Mouth: R3(st.Mouth),
		Faces: 1 + len(s.others), Others: s.others,
		Live: p.Attack == AttackNone, Attack: p.Attack,
		Box: boxOf(boxPts, p.Width, p.Height),
	}
	ft.Landmarks = make([][2]R1, 68)
	for k := 0; k < 68; k++ {
		ft.Landmarks[k] = [2]R1{R1(lm[k].X), R1(lm[k].Y)}
	}
	return ft
}

// live renders the 3D head, with motion blur when asked, and returns the
// landmarks and the points of the face box (landmarks and hairline).
func (s *scene) live(rd *renderer, st State, i int, rgb *rgbImage) (lm, box []Pt) {
	f := s.face
	if s.p.Blur {
		// Average five exposures spread over 60 % of the frame time; the
		// middle one last, so the pose (and the truth) is the frame's own.
		acc := make([]uint16, len(rgb.Pix))
		offsets := []float64{-0.3, -0.15, 0.15, 0.3, 0}
		for _, du := range offsets {
			sub := st
			if du != 0 {
				sub = s.tl.stateAt((float64(i) + du) / float64(s.p.FPS))
			}
			f.render(rd, sub, rgb)
			if s.p.Glasses {
				f.drawGlasses(&rd.ps, sub, rgb)
			}
			for j, v := range rgb.Pix {
				acc[j] += uint16(v)
			}
		}
		n := uint16(len(offsets))
		for j := range rgb.Pix {
			rgb.Pix[j] = uint8((acc[j] + n/2) / n)
		}
	} else {
		f.render(rd, st, rgb)
		if s.p.Glasses {
			f.drawGlasses(&rd.ps, st, rgb)
		}
	}
	lm = append([]Pt{}, rd.ps.dst[:68]...)
	return lm, append(append([]Pt{}, lm...), f.hairPts(&rd.ps)...)
}

// hairPts returns the hairline points in the pose ps (neutral when nil).
func (f *Face) hairPts(ps *pose) []Pt {
	out := make([]Pt, len(f.hair))
	for k, vi := range f.hair {
		if ps == nil {
			out[k] = f.verts[vi].p0
		} else {
			out[k] = ps.dst[vi]
		}
	}
	return out
}

// WriteTo writes the clip's video to video and its truth to truth; either
// may be nil.
func (c *Clip) WriteTo(video, truth io.Writer) error {
	if video != nil {
		yw, err := NewY4MWriter(video, c.Truth.Width, c.Truth.Height, c.Truth.FPS)
		if err != nil {
			return err
		}
		for _, f := range c.Frames {
			if err := yw.WriteFrame(f); err != nil {
				return err
			}
		}
		if err := yw.Flush(); err != nil {
			return fmt.Errorf("facegen: write video: %w", err)
		}
	}
	if truth != nil {
		enc := json.NewEncoder(truth)
		enc.SetIndent("", " ")
		if err := enc.Encode(&c.Truth); err != nil {
			return fmt.Errorf("facegen: write truth: %w", err)
		}
	}
	return nil
}
