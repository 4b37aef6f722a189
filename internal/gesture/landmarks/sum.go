package landmarks

// sumLeavesGo adds leaves[o:o+len(dst)] to dst element-wise for each o in offs, in
// that order: each element's float32 sum is dst[i] + leaf0[i] + leaf1[i] + ...,
// rounded after every addition, as dlib sums a level's trees. It is the portable
// path of sumLeaves and the reference its assembly is tested against.
func sumLeavesGo(dst, leaves []float32, offs []int) {
	sl := len(dst)
	k := 0
	for ; k+4 <= len(offs); k += 4 {
		add4(dst, leaves[offs[k]:offs[k]+sl], leaves[offs[k+1]:offs[k+1]+sl],
			leaves[offs[k+2]:offs[k+2]+sl], leaves[offs[k+3]:offs[k+3]+sl])
	}
	for ; k+2 <= len(offs); k += 2 {
		add2(dst, leaves[offs[k]:offs[k]+sl], leaves[offs[k+1]:offs[k+1]+sl])
	}
	for ; k < len(offs); k++ {
		addTo(dst, leaves[offs[k]:offs[k]+sl])
	}
}

// addTo adds src to dst element-wise (len(src) >= len(dst)).
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		d := dst[i : i+8 : i+8]
		s := src[i : i+8 : i+8]
		d[0] += (s[0])
		d[1] += (s[1])
		d[2] += (s[2])
		d[3] += (s[3])
		d[4] += (s[4])
		d[5] += (s[5])
		d[6] += (s[6])
		d[7] += (s[7])
	}
	for ; i < len(dst); i++ {
		dst[i] += src[i]
	}
}

// add2 adds a and then b to dst element-wise, in that order, so that the float32 sums
// are exactly those of two addTo calls (len(a), len(b) >= len(dst)).
func add2(dst, a, b []float32) {
	a = a[:len(dst)]
	b = b[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d := dst[i : i+4 : i+4]
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		d[0] = d[0] + x[0] + y[0]
		d[1] = d[1] + x[1] + y[1]
		d[2] = d[2] + x[2] + y[2]
		d[3] = d[3] + x[3] + y[3]
	}
	for ; i < len(dst); i++ {
		dst[i] = dst[i] + a[i] + b[i]
	}
}

// add4 adds a, b, c and e to dst element-wise, in that order (see add2).
func add4(dst, a, b, c, e []float32) {
	a = a[:len(dst)]
	b = b[:len(dst)]
	c = c[:len(dst)]
	e = e[:len(dst)]
	for i := range dst {
		dst[i] = dst[i] + a[i] + b[i] + c[i] + e[i]
	}
}
