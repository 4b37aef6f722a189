package facegen

import (
	"math"
	"testing"
)

func TestHeadRotationSigns(t *testing.T) {
	nose := Vec3{0, 0, -100} // in front of the pivot, toward the camera
	top := Vec3{0, -100, 0}
	tests := []struct {
		name             string
		yaw, pitch, roll float64
		v                Vec3
		want             Vec3
	}{
		// The user turns to their own left: the nose goes to the image's right (+X).
		{"HEAD_LEFT", 30, 0, 0, nose, Vec3{50, 0, -86.6025}},
		{"HEAD_RIGHT", -30, 0, 0, nose, Vec3{-50, 0, -86.6025}},
		// Looking up: the nose goes up in the image (−Y).
		{"HEAD_UP", 0, 20, 0, nose, Vec3{0, -34.2020, -93.9693}},
		// Tilt toward the user's left shoulder: the crown goes right.
		{"roll", 0, 0, 10, top, Vec3{17.3648, -98.4808, 0}},
	}
	for _, tt := range tests {
		got := HeadRotation(tt.yaw, tt.pitch, tt.roll).Apply(tt.v)
		if math.Abs(got.X-tt.want.X) > 1e-3 || math.Abs(got.Y-tt.want.Y) > 1e-3 || math.Abs(got.Z-tt.want.Z) > 1e-3 {
			t.Errorf("%s: got %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

// A known rotation moves known model points where the pinhole model says.
func TestPinholeRotation(t *testing.T) {
	cam := Camera{F: 576, Cx: 320, Cy: 240}
	pivot := Vec3{0, 0, 500}
	// Nose tip 95 mm in front of the pivot, on the optical axis.
	nose := Vec3{0, 0, 405}
	p := cam.Project(RotateAbout(HeadRotation(30, 0, 0), pivot, nose))
	// By hand: rotated nose at X = 95 sin30 = 47.5, Z = 500 − 95 cos30 = 417.73;
	// x = 320 + 576·47.5/417.73 = 385.498, y = 240.
	if math.Abs(p.X-385.498) > 0.5 || math.Abs(p.Y-240) > 0.5 {
		t.Errorf("nose at yaw 30: got %+v; want (385.5, 240)", p)
	}
	// An outer eye corner: 45 mm to the image's left, 35 mm up, 52 mm behind the nose.
	eye := Vec3{-45, -35, 457}
	p = cam.Project(RotateAbout(HeadRotation(0, 20, 0), pivot, eye))
	// By hand: relative (−45, −35, −43); pitch 20: Y' = −35 cos20 − 43 sin20 = −47.595,
	// Z' = 35 sin20 − 43 cos20 = −28.436 → (−45, −47.595, 471.564);
	// x = 320 − 576·45/471.564 = 265.034, y = 240 − 576·47.595/471.564 = 181.864.
	if math.Abs(p.X-265.034) > 0.5 || math.Abs(p.Y-181.864) > 0.5 {
		t.Errorf("eye corner at pitch 20: got %+v; want (265.03, 181.86)", p)
	}
	// Unproject inverts Project.
	q := cam.Unproject(Pt{100, 50}, 300)
	if r := cam.Project(q); math.Abs(r.X-100) > 1e-9 || math.Abs(r.Y-50) > 1e-9 {
		t.Errorf("Project(Unproject): got %+v", r)
	}
}

func TestDelaunayCoversHull(t *testing.T) {
	pts := []Pt{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {5, 5}, {3, 7}, {8, 2}}
	tris := delaunay(pts)
	area := 0.0
	for _, tr := range tris {
		a, b, c := pts[tr[0]], pts[tr[1]], pts[tr[2]]
		s := (b.X-a.X)*(c.Y-a.Y) - (b.Y-a.Y)*(c.X-a.X)
		if s <= 0 {
			t.Errorf("triangle %v not counter-clockwise in image coordinates", tr)
		}
		area += s / 2
	}
	if math.Abs(area-100) > 1e-9 {
		t.Errorf("triangles cover %v; want the hull's 100", area)
	}
}
