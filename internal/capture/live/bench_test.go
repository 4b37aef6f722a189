package live

import (
	"context"
	"image"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/codec/vpx"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/perception/footage"
	"github.com/livegate/livegate/internal/sealed"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
)

// benchFrames are the decoded colour frames of a bona fide facegen head
// turn at 640×480, through VP8 as the live path sees them.
func benchFrames(b *testing.B) []*image.YCbCr {
	b.Helper()
	face, err := facegen.TestFace("")
	if err != nil {
		b.Fatal(err)
	}
	p := facegen.Params{Face: face, Script: "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", Width: 640, Height: 480, FPS: 15, Seed: 3, NoBlinks: true}
	cc, err := facegen.Cached("", p, footage.Landmarks)
	if err != nil {
		b.Fatal(err)
	}
	raw, _, err := facegen.ReadY4M(cc.Video)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := vpx.NewEncoder(640, 480, 15, 1000)
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	dec, err := vpx.NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	var out []*image.YCbCr
	for i, f := range raw {
		data, _, err := enc.Encode(f, i == 0)
		if err != nil {
			b.Fatal(err)
		}
		img, err := dec.DecodeYCbCr(data, nil)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, img)
	}
	return out
}

// BenchmarkLivenessCost measures, in one run on the same frames, the
// per-frame engine (the baseline: YuNet + 68 landmarks + measures, what
// every analysed frame costs) and what the liveness evidence adds: the
// stream cues of every decoded frame (thumbnail, Repeats, timing), the
// sampler's rating and copies of analysed frames, and the model on one
// sampled frame (K of them per attempt).
func BenchmarkLivenessCost(b *testing.B) {
	frames := benchFrames(b)
	models, err := perception.Load(perception.Config{Detectors: 1})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := models.NewEngine()
	if err != nil {
		b.Fatal(err)
	}
	obs := make([]gesture.Observation, len(frames))
	t0 := time.Unix(1e9, 0)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second / 15) }

	b.Run("engine", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := i % len(frames)
			if j == 0 {
				eng.Reset()
			}
			g := capture.GrayView(frames[j])
			obs[j] = eng.Process(&g, at(i))
		}
	})
	b.Run("stream", func(b *testing.B) {
		s := newStreamCues()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			f := frames[i%len(frames)]
			s.add(&capture.StreamFrame{Capture: at(i), Arrival: at(i), RTP: float64(i) / 15,
				Y: f.Y, Width: 640, Height: 480, Stride: f.YStride})
		}
	})
	// passive: the passive attempt's check on the engine's observations
	// (a new check whenever one has ended), all it adds per frame.
	b.Run("passive", func(b *testing.B) {
		p := newPassiveCheck(PassiveConfig{})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			o := obs[i%len(obs)]
			o.T = at(i)
			p.observe(&o)
			if _, _, over := p.result(); over {
				p = newPassiveCheck(PassiveConfig{})
			}
		}
	})
	b.Run("sampler", func(b *testing.B) {
		var copies, n int
		b.ReportAllocs()
		for b.Loop() {
			// One attempt: every frame offered, as the analysis does.
			s := newSampler(defaultSamples)
			for j := range frames {
				o := obs[j]
				s.offer(frames[j], &o)
			}
			copies += s.copies
			n += len(frames)
		}
		b.ReportMetric(float64(copies)/float64(n), "copies/frame")
	})
	b.Run("model", func(b *testing.B) {
		v2, v1se, err := perception.FindMiniFASNet("", "")
		if err != nil {
			b.Fatal(err)
		}
		as, err := perception.NewAntiSpoof(v2, v1se)
		if err != nil {
			b.Fatal(err)
		}
		defer as.Close()
		s := newSampler(defaultSamples)
		for j := range frames {
			o := obs[j]
			s.offer(frames[j], &o)
		}
		smp := s.samples()
		if len(smp) == 0 {
			b.Fatal("no frame sampled")
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			k := smp[i%len(smp)]
			if _, err := as.ScoreVideo(&k.img, gesture.Face{Box: k.box}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLivenessAttempt is one attempt (the clip's frames, each
// analysed, then the model on the K sampled frames) with every part timed
// inside the same iteration, so that the ratios hold on a machine whose
// load changes: engine-ms is the per-frame engine over the attempt (the
// baseline), the others what liveness adds: stream-ms the stream cues,
// sampler-ms the rating and copies, model-ms MiniFASNet on the samples.
// added-% is their sum over engine-ms, perframe-% the same without the
// model. The colour decode's extra copy is BenchmarkDecodeColour's (vpx).
func BenchmarkLivenessAttempt(b *testing.B) {
	frames := benchFrames(b)
	models, err := perception.Load(perception.Config{Detectors: 1})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := models.NewEngine()
	if err != nil {
		b.Fatal(err)
	}
	v2, v1se, err := perception.FindMiniFASNet("", "")
	if err != nil {
		b.Fatal(err)
	}
	as, err := perception.NewAntiSpoof(v2, v1se)
	if err != nil {
		b.Fatal(err)
	}
	defer as.Close()
	t0 := time.Unix(1e9, 0)
	var engine, stream, smp, model time.Duration
	attempts := 0
	for b.Loop() {
		eng.Reset()
		cues, s := newStreamCues(), newSampler(defaultSamples)
		for i, f := range frames {
			t := t0.Add(time.Duration(attempts*len(frames)+i) * time.Second / 15)
			start := time.Now()
			cues.add(&capture.StreamFrame{Capture: t, Arrival: t, RTP: t.Sub(t0).Seconds(), Y: f.Y, Width: 640, Height: 480, Stride: f.YStride})
			stream += time.Since(start)

			start = time.Now()
			gv := capture.GrayView(f)
			o := eng.Process(&gv, t)
			engine += time.Since(start)

			start = time.Now()
			s.offer(f, &o)
			smp += time.Since(start)
		}
		start := time.Now()
		for _, k := range s.samples() {
			if _, err := as.ScoreVideo(&k.img, gesture.Face{Box: k.box}); err != nil {
				b.Fatal(err)
			}
		}
		model += time.Since(start)
		attempts++
	}
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(attempts) }
	b.ReportMetric(ms(engine), "engine-ms")
	b.ReportMetric(ms(stream), "stream-ms")
	b.ReportMetric(ms(smp), "sampler-ms")
	b.ReportMetric(ms(model), "model-ms")
	b.ReportMetric(100*float64(stream+smp+model)/float64(engine), "added-%")
	b.ReportMetric(100*float64(stream+smp)/float64(engine), "perframe-%")
	b.ReportMetric(float64(len(frames)), "frames")
}

// BenchmarkEvidenceImages is the extra cost of the evidence images per
// finished session, every part timed inside the same iteration over one
// attempt's frames: engine-ms is the per-frame engine over the attempt
// (the baseline), select-ms the far/near/audit rating and copies on the
// per-frame path, encode-ms the scaling and JPEG encoding of the chosen
// frames, seal-ms their sealing, store-ms the memory store's PutImages.
// added-% is select+encode+seal+store over engine-ms; copies/frame the
// frames the selection copied per frame offered.
func BenchmarkEvidenceImages(b *testing.B) {
	frames := benchFrames(b)
	models, err := perception.Load(perception.Config{Detectors: 1})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := models.NewEngine()
	if err != nil {
		b.Fatal(err)
	}
	keys := sealed.Ephemeral()
	st := memstore.New(memstore.WithSweepInterval(0))
	defer st.Close()
	sess, err := session.New(session.Params{Kind: session.KindActive, Owner: "k", SuccessURL: "https://shop.example/", BiometricRetention: time.Hour}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Create(context.Background(), sess); err != nil {
		b.Fatal(err)
	}
	svc := &Service{cfg: Config{DataKeys: keys, EncodeJPEG: perception.EncodeJPEG}}
	t0 := time.Unix(1e9, 0)
	var engine, sel, enc, seal, store time.Duration
	var size, count, copies int
	attempts := 0
	for b.Loop() {
		eng.Reset()
		s := newSampler(defaultSamples)
		var e evidenceFrames
		for i, f := range frames {
			t := t0.Add(time.Duration(attempts*len(frames)+i) * time.Second / 15)
			start := time.Now()
			gv := capture.GrayView(f)
			o := eng.Process(&gv, t)
			engine += time.Since(start)

			start = time.Now()
			e.offer(f, &o)
			sel += time.Since(start)
			s.offer(f, &o) // the model's samples (not timed: not this feature's)
		}
		s.ev = e
		copies += e.copies
		var buf []byte
		var imgs []session.Image
		for _, c := range s.chosen() {
			start := time.Now()
			jp, w, h, box, err := encodeEvidence(svc.cfg.EncodeJPEG, buf, c.frame)
			if err != nil {
				b.Fatal(err)
			}
			buf = jp
			enc += time.Since(start)
			start = time.Now()
			v, err := svc.cfg.DataKeys.Seal(sess.ID, session.ImageLabel(c.name), jp)
			if err != nil {
				b.Fatal(err)
			}
			seal += time.Since(start)
			imgs = append(imgs, session.Image{Name: c.name, Width: w, Height: h, Box: box, Sealed: v})
			size += len(v)
		}
		count += len(imgs)
		start := time.Now()
		if err := st.PutImages(context.Background(), sess.ID, imgs, sess.BiometricUntil()); err != nil {
			b.Fatal(err)
		}
		store += time.Since(start)
		attempts++
	}
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(attempts) }
	b.ReportMetric(ms(engine), "engine-ms")
	b.ReportMetric(ms(sel), "select-ms")
	b.ReportMetric(ms(enc), "encode-ms")
	b.ReportMetric(ms(seal), "seal-ms")
	b.ReportMetric(ms(store), "store-ms")
	b.ReportMetric(100*float64(sel+enc+seal+store)/float64(engine), "added-%")
	b.ReportMetric(float64(count)/float64(attempts), "images")
	b.ReportMetric(float64(size)/float64(attempts)/1024, "KiB/session")
	b.ReportMetric(float64(copies)/float64(attempts*len(frames)), "copies/frame")
	b.ReportMetric(float64(len(frames)), "frames")
}
