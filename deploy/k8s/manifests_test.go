package k8s

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// secretVars are the server's variables that must come from the Secret,
// never from the ConfigMap.
var secretVars = []string{"LIVEGATE_API_KEYS", "LIVEGATE_SESSION_SECRET", "LIVEGATE_DATA_KEYS", "REDIS_URL"}

// kustomization is the part of kustomize's Kustomization these manifests
// use. It is decoded strictly too: a field added to kustomization.yaml
// must be added here, where the test can look at it.
type kustomization struct {
	APIVersion      string   `json:"apiVersion"`
	Kind            string   `json:"kind"`
	Namespace       string   `json:"namespace"`
	Resources       []string `json:"resources"`
	SecretGenerator []struct {
		Name string   `json:"name"`
		Envs []string `json:"envs"`
	} `json:"secretGenerator"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// manifests is every object of the kustomization, by kind.
type manifests struct {
	k            kustomization
	namespaces   []*corev1.Namespace
	configMaps   []*corev1.ConfigMap
	services     []*corev1.Service
	deployments  []*appsv1.Deployment
	statefulSets []*appsv1.StatefulSet
	pdbs         []*policyv1.PodDisruptionBudget
	hpas         []*autoscalingv2.HorizontalPodAutoscaler
	netpols      []*networkingv1.NetworkPolicy
	// secret is what secretGenerator makes of secrets.env.example.
	secretName string
	secret     map[string]string
}

// decodeStrict decodes one YAML document into the official type of its
// apiVersion and kind, refusing unknown and duplicate fields.
func decodeStrict(m *manifests, doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	into := func(obj any, add func()) error {
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
		}
		add()
		return nil
	}
	switch gvk := tm.APIVersion + " " + tm.Kind; gvk {
	case "v1 Namespace":
		o := new(corev1.Namespace)
		return into(o, func() { m.namespaces = append(m.namespaces, o) })
	case "v1 ConfigMap":
		o := new(corev1.ConfigMap)
		return into(o, func() { m.configMaps = append(m.configMaps, o) })
	case "v1 Service":
		o := new(corev1.Service)
		return into(o, func() { m.services = append(m.services, o) })
	case "apps/v1 Deployment":
		o := new(appsv1.Deployment)
		return into(o, func() { m.deployments = append(m.deployments, o) })
	case "apps/v1 StatefulSet":
		o := new(appsv1.StatefulSet)
		return into(o, func() { m.statefulSets = append(m.statefulSets, o) })
	case "policy/v1 PodDisruptionBudget":
		o := new(policyv1.PodDisruptionBudget)
		return into(o, func() { m.pdbs = append(m.pdbs, o) })
	case "autoscaling/v2 HorizontalPodAutoscaler":
		o := new(autoscalingv2.HorizontalPodAutoscaler)
		return into(o, func() { m.hpas = append(m.hpas, o) })
	case "networking.k8s.io/v1 NetworkPolicy":
		o := new(networkingv1.NetworkPolicy)
		return into(o, func() { m.netpols = append(m.netpols, o) })
	default:
		return fmt.Errorf("%q: not a kind this test knows; add its k8s.io/api type", gvk)
	}
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// splitDocs cuts a YAML stream into its documents, dropping empty ones
// (comments only).
func splitDocs(b []byte) [][]byte {
	var out [][]byte
	for _, d := range docSep.Split(string(b), -1) {
		var v any
		if err := yaml.Unmarshal([]byte(d), &v); err == nil && v == nil {
			continue
		}
		out = append(out, []byte(d))
	}
	return out
}

// readEnvFile reads KEY=VALUE lines as kustomize's envs do.
func readEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE", path, n)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s:%d: %s twice", path, n, k)
		}
		out[k] = v
	}
	return out, sc.Err()
}

// load reads kustomization.yaml and every resource it lists.
func load(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{}
	raw, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(raw, &m.k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if m.k.APIVersion != "kustomize.config.k8s.io/v1beta1" || m.k.Kind != "Kustomization" {
		t.Fatalf("kustomization.yaml: %s %s; want kustomize.config.k8s.io/v1beta1 Kustomization", m.k.APIVersion, m.k.Kind)
	}

	// Every manifest in the directory is a resource, and every resource
	// is a file here.
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return f == "kustomization.yaml" })
	listed := slices.Clone(m.k.Resources)
	sort.Strings(files)
	sort.Strings(listed)
	if !slices.Equal(files, listed) {
		t.Fatalf("kustomization.yaml lists resources %v; the directory holds %v", listed, files)
	}
	for _, f := range m.k.Resources {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs := splitDocs(b)
		if len(docs) == 0 {
			t.Fatalf("%s: no documents", f)
		}
		for i, d := range docs {
			if err := decodeStrict(m, d); err != nil {
				t.Fatalf("%s, document %d: %v", f, i+1, err)
			}
		}
	}

	// The Secret: secretGenerator makes it from secrets.env, which is
	// never committed; its committed example has the same keys.
	if len(m.k.SecretGenerator) != 1 || len(m.k.SecretGenerator[0].Envs) != 1 {
		t.Fatalf("kustomization.yaml: want one secretGenerator with one envs file, got %+v", m.k.SecretGenerator)
	}
	g := m.k.SecretGenerator[0]
	m.secretName = g.Name
	if m.secret, err = readEnvFile(g.Envs[0] + ".example"); err != nil {
		t.Fatalf("the example of the secretGenerator's %s: %v", g.Envs[0], err)
	}
	return m
}

// serverVars are the variables the server reads: the README's configuration
// table, which TestREADMEConfigTable (internal/server) holds to exactly
// what loadConfig reads. The same parsing as that test.
func serverVars(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(raw), "<!-- config-table:")
	if !ok {
		t.Fatal("README.md has no <!-- config-table: … --> marker")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	var out []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|").FindAllStringSubmatch(table, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatal("no rows found in the README's configuration table")
	}
	return out
}

// serverRoutes are the mux patterns internal/server registers, by the
// function that registers them: buildHandler's are on LIVEGATE_ADDR,
// mountInternal's on LIVEGATE_METRICS_ADDR when it is set.
func serverRoutes(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../../internal/server/server.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string][]string{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				p, err := strconv.Unquote(lit.Value)
				if err == nil {
					routes[fn.Name.Name] = append(routes[fn.Name.Name], p)
				}
			}
			return true
		})
	}
	if len(routes["buildHandler"]) == 0 || len(routes["mountInternal"]) == 0 {
		t.Fatalf("found no routes in buildHandler or mountInternal of internal/server/server.go (%v): has the wiring moved?", routes)
	}
	return routes
}

// serves reports whether one of patterns answers GET path exactly.
func serves(patterns []string, path string) bool {
	for _, p := range patterns {
		method, pp, ok := strings.Cut(p, " ")
		if !ok {
			method, pp = "", p
		}
		if (method == "" || method == "GET") && pp == path {
			return true
		}
	}
	return false
}

func addrPort(t *testing.T, name, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("%s=%q: port %v", name, addr, err)
	}
	return int32(n)
}

// containerPort resolves a probe's or a Service's port (a number or a
// name) against the container's ports.
func containerPort(c corev1.Container, p intstr.IntOrString) (corev1.ContainerPort, bool) {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp, true
		}
	}
	return corev1.ContainerPort{}, false
}

func (m *manifests) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	for _, d := range m.deployments {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no Deployment %q", name)
	return nil
}

func (m *manifests) configMap(t *testing.T, name string) *corev1.ConfigMap {
	t.Helper()
	for _, c := range m.configMaps {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no ConfigMap %q", name)
	return nil
}

// livegate returns the Deployment, its livegate container and the
// environment the server gets: the ConfigMap's values, then the explicit
// env (a secret or downward-API value is recorded as its source).
func (m *manifests) livegate(t *testing.T) (*appsv1.Deployment, corev1.Container, map[string]string) {
	t.Helper()
	d := m.deployment(t, "livegate")
	var c corev1.Container
	for _, x := range d.Spec.Template.Spec.Containers {
		if x.Name == "livegate" {
			c = x
		}
	}
	if c.Name == "" {
		t.Fatal("Deployment livegate has no container livegate")
	}
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil || from.Prefix != "" {
			t.Fatalf("envFrom %+v: want a configMapRef without a prefix (secrets go by name in env)", from)
		}
		for k, v := range m.configMap(t, from.ConfigMapRef.Name).Data {
			env[k] = v
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = "field:" + e.ValueFrom.FieldRef.FieldPath
		default:
			t.Fatalf("env %s: unexpected source %+v", e.Name, e.ValueFrom)
		}
	}
	return d, c, env
}

// podTemplates are every workload's pod template, by workload.
func (m *manifests) podTemplates() map[string]corev1.PodTemplateSpec {
	out := map[string]corev1.PodTemplateSpec{}
	for _, d := range m.deployments {
		out["Deployment "+d.Name] = d.Spec.Template
	}
	for _, s := range m.statefulSets {
		out["StatefulSet "+s.Name] = s.Spec.Template
	}
	return out
}

func selects(t *testing.T, sel *metav1.LabelSelector, l map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("selector %+v: %v", sel, err)
	}
	return !s.Empty() && s.Matches(labels.Set(l))
}

// TestManifestsDecodeStrictly: every document of the kustomization is an
// object of a known kind with no field its official type lacks.
func TestManifestsDecodeStrictly(t *testing.T) {
	m := load(t)
	if len(m.deployments) == 0 || len(m.services) == 0 || len(m.pdbs) == 0 || len(m.hpas) == 0 || len(m.configMaps) == 0 {
		t.Fatalf("want at least a Deployment, a Service, a PodDisruptionBudget, an HPA and a ConfigMap; got %d, %d, %d, %d, %d",
			len(m.deployments), len(m.services), len(m.pdbs), len(m.hpas), len(m.configMaps))
	}
	if len(m.namespaces) != 1 || m.namespaces[0].Name != m.k.Namespace {
		t.Errorf("kustomization namespace %q; want exactly one Namespace object of that name", m.k.Namespace)
	}
}

// TestStrictDecodingRefusesMistakes: the decoding the manifests pass does
// refuse a misspelt or misplaced field and a duplicated one, so passing
// it means something.
func TestStrictDecodingRefusesMistakes(t *testing.T) {
	good, err := os.ReadFile("deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeStrict(&manifests{}, good); err != nil {
		t.Fatalf("deployment.yaml as committed: %v", err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"misspelt field", "readinessProbe:", "readynessProbe:"},
		{"field at the wrong level", "      automountServiceAccountToken: false", "      automountServiceAccountToken: false\n      runAsNonRoot: true"},
		{"duplicated field", "  revisionHistoryLimit: 5", "  revisionHistoryLimit: 5\n  revisionHistoryLimit: 6"},
		{"wrong type", "replicas: 2", "replicas: two"},
	} {
		bad := strings.Replace(string(good), tc.old, tc.new, 1)
		if bad == string(good) {
			t.Fatalf("%s: %q not found in deployment.yaml", tc.name, tc.old)
		}
		if err := decodeStrict(&manifests{}, []byte(bad)); err == nil {
			t.Errorf("%s: decoded without error", tc.name)
		}
	}
	if err := decodeStrict(&manifests{}, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n")); err == nil {
		t.Error("a kind the test does not know decoded without error")
	}
}

// TestEnvironmentIsWhatTheServerReads: every variable the manifests give
// livegate is one the server reads, the secret ones come from the Secret
// and the others from the ConfigMap, never both.
func TestEnvironmentIsWhatTheServerReads(t *testing.T) {
	m := load(t)
	known := serverVars(t)
	_, c, env := m.livegate(t)
	for name := range env {
		if !slices.Contains(known, name) {
			t.Errorf("the manifests set %s; the server reads no such variable (README's configuration table)", name)
		}
	}
	cm := m.configMap(t, "livegate")
	for _, name := range secretVars {
		if _, ok := cm.Data[name]; ok {
			t.Errorf("%s is in the ConfigMap; secrets belong in the Secret", name)
		}
		want := "secret:" + m.secretName + "/" + name
		if env[name] != want {
			t.Errorf("%s comes from %q; want %q", name, env[name], want)
		}
	}
	// Every secret reference of every workload names a key of the Secret.
	for w, pt := range m.podTemplates() {
		for _, ct := range pt.Spec.Containers {
			for _, e := range ct.Env {
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
					continue
				}
				ref := e.ValueFrom.SecretKeyRef
				if _, ok := m.secret[ref.Key]; ref.Name != m.secretName || !ok {
					t.Errorf("%s, container %s: %s from secret %s key %s; the Secret is %s with keys %v",
						w, ct.Name, e.Name, ref.Name, ref.Key, m.secretName, keys(m.secret))
				}
			}
		}
	}
	// Every key of the Secret is used by some container.
	for k := range m.secret {
		used := false
		for _, pt := range m.podTemplates() {
			for _, ct := range pt.Spec.Containers {
				for _, e := range ct.Env {
					used = used || (e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Key == k)
				}
			}
		}
		if !used {
			t.Errorf("the Secret's %s is used by no container", k)
		}
	}
	if len(c.EnvFrom) == 0 {
		t.Error("the livegate container takes no ConfigMap")
	}
}

// TestRedisURLReachesTheRedisService: the example REDIS_URL names the
// Redis Service of redis.yaml, at its port, with the password Redis is
// started with.
func TestRedisURLReachesTheRedisService(t *testing.T) {
	m := load(t)
	u, err := url.Parse(m.secret["REDIS_URL"])
	if err != nil || u.Scheme != "redis" {
		t.Fatalf("REDIS_URL %q: want redis://…", m.secret["REDIS_URL"])
	}
	var svc *corev1.Service
	for _, s := range m.services {
		if s.Name == u.Hostname() {
			svc = s
		}
	}
	if svc == nil {
		t.Fatalf("REDIS_URL's host %q is no Service of the manifests", u.Hostname())
	}
	if len(svc.Spec.Ports) != 1 || strconv.Itoa(int(svc.Spec.Ports[0].Port)) != u.Port() {
		t.Errorf("REDIS_URL's port %s; Service %s has ports %+v", u.Port(), svc.Name, svc.Spec.Ports)
	}
	if pw, _ := u.User.Password(); pw != m.secret["REDIS_PASSWORD"] {
		t.Errorf("REDIS_URL's password %q differs from REDIS_PASSWORD %q", pw, m.secret["REDIS_PASSWORD"])
	}
}

// TestPortsAndProbes: the container ports are those the server binds from
// LIVEGATE_ADDR, LIVEGATE_METRICS_ADDR and LIVEGATE_UDP_PORT, and the
// probes ask for paths the server serves on the port they use.
func TestPortsAndProbes(t *testing.T) {
	m := load(t)
	_, c, env := m.livegate(t)
	routes := serverRoutes(t)

	httpPort := addrPort(t, "LIVEGATE_ADDR", cmp(env["LIVEGATE_ADDR"], ":8080"))
	if p, ok := containerPort(c, intstr.FromString("http")); !ok || p.ContainerPort != httpPort || p.Protocol != corev1.ProtocolTCP {
		t.Errorf("container port http: %+v; want %d/TCP (LIVEGATE_ADDR)", p, httpPort)
	}
	readyPort := httpPort
	if a := env["LIVEGATE_METRICS_ADDR"]; a != "" {
		readyPort = addrPort(t, "LIVEGATE_METRICS_ADDR", a)
		if p, ok := containerPort(c, intstr.FromString("metrics")); !ok || p.ContainerPort != readyPort {
			t.Errorf("container port metrics: %+v; want %d (LIVEGATE_METRICS_ADDR)", p, readyPort)
		}
	}

	udp, err := strconv.Atoi(env["LIVEGATE_UDP_PORT"])
	if err != nil {
		t.Fatalf("LIVEGATE_UDP_PORT %q: the manifests must fix the WebRTC port to expose it", env["LIVEGATE_UDP_PORT"])
	}
	var found bool
	for _, p := range c.Ports {
		if p.Protocol != corev1.ProtocolUDP {
			continue
		}
		found = true
		if p.ContainerPort != int32(udp) {
			t.Errorf("UDP container port %d; LIVEGATE_UDP_PORT is %d", p.ContainerPort, udp)
		}
		// The ICE candidate carries the port the server bound, so a
		// hostPort must be the same number, and the node's address must
		// be announced in place of the pod's.
		if p.HostPort != 0 && p.HostPort != p.ContainerPort {
			t.Errorf("UDP hostPort %d differs from containerPort %d: candidates would announce the wrong port", p.HostPort, p.ContainerPort)
		}
		if p.HostPort != 0 && env["LIVEGATE_NAT_1TO1_IPS"] != "field:status.hostIP" {
			t.Errorf("UDP hostPort set but LIVEGATE_NAT_1TO1_IPS is %q; want the node's address (status.hostIP)", env["LIVEGATE_NAT_1TO1_IPS"])
		}
	}
	if !found {
		t.Error("no UDP container port for LIVEGATE_UDP_PORT")
	}

	for _, tc := range []struct {
		name   string
		probe  *corev1.Probe
		path   string
		port   int32
		served []string
	}{
		{"livenessProbe", c.LivenessProbe, "/healthz", httpPort, routes["buildHandler"]},
		{"readinessProbe", c.ReadinessProbe, "/readyz", readyPort, routes["mountInternal"]},
	} {
		if tc.probe == nil || tc.probe.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe", tc.name)
			continue
		}
		g := tc.probe.HTTPGet
		if g.Path != tc.path {
			t.Errorf("%s path %q; want %q", tc.name, g.Path, tc.path)
		}
		if !serves(tc.served, g.Path) {
			t.Errorf("%s path %q: the server registers no GET route for it where the probe asks (%v)", tc.name, g.Path, tc.served)
		}
		if p, ok := containerPort(c, g.Port); !ok || p.ContainerPort != tc.port {
			t.Errorf("%s port %s is container port %d; the server serves %s on %d", tc.name, g.Port.String(), p.ContainerPort, g.Path, tc.port)
		}
	}

	// Services point at ports their pods have.
	for _, s := range m.services {
		matched := 0
		for w, pt := range m.podTemplates() {
			if !selects(t, &metav1.LabelSelector{MatchLabels: s.Spec.Selector}, pt.Labels) {
				continue
			}
			matched++
			for _, sp := range s.Spec.Ports {
				ok := false
				for _, ct := range pt.Spec.Containers {
					_, has := containerPort(ct, sp.TargetPort)
					ok = ok || has
				}
				if !ok {
					t.Errorf("Service %s port %s targets %s, which %s's containers lack", s.Name, sp.Name, sp.TargetPort.String(), w)
				}
			}
		}
		if matched != 1 {
			t.Errorf("Service %s selects %d workloads; want 1", s.Name, matched)
		}
	}
}

// TestShutdownFitsTheGracePeriod: the kubelet's SIGKILL comes after the
// preStop sleep and the server's own shutdown timeout, with a margin.
func TestShutdownFitsTheGracePeriod(t *testing.T) {
	m := load(t)
	d, c, env := m.livegate(t)
	timeout, err := time.ParseDuration(cmp(env["LIVEGATE_SHUTDOWN_TIMEOUT"], "30s"))
	if err != nil {
		t.Fatalf("LIVEGATE_SHUTDOWN_TIMEOUT: %v", err)
	}
	var preStop time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	gp := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	if gp == nil {
		t.Fatal("terminationGracePeriodSeconds not set")
	}
	if got, want := time.Duration(*gp)*time.Second, preStop+timeout+5*time.Second; got < want {
		t.Errorf("terminationGracePeriodSeconds %s; want at least preStop %s + LIVEGATE_SHUTDOWN_TIMEOUT %s + 5s", got, preStop, timeout)
	}
}

// TestPodsAreLockedDown: every container has resources and runs as a
// non-root user without privilege escalation or capabilities, on a
// read-only root file system.
func TestPodsAreLockedDown(t *testing.T) {
	m := load(t)
	for w, pt := range m.podTemplates() {
		ps := pt.Spec.SecurityContext
		if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0 {
			t.Errorf("%s: want runAsNonRoot and a non-zero runAsUser", w)
		}
		if ps == nil || ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: want the RuntimeDefault seccomp profile", w)
		}
		if a := pt.Spec.AutomountServiceAccountToken; a == nil || *a {
			t.Errorf("%s: want automountServiceAccountToken: false (it calls no Kubernetes API)", w)
		}
		for _, c := range pt.Spec.Containers {
			r := c.Resources
			if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Memory().IsZero() {
				t.Errorf("%s, container %s: want CPU and memory requests and a memory limit, got %+v", w, c.Name, r)
			}
			if r.Limits.Memory().Cmp(*r.Requests.Memory()) < 0 {
				t.Errorf("%s, container %s: memory limit under its request", w, c.Name)
			}
			s := c.SecurityContext
			if s == nil || s.AllowPrivilegeEscalation == nil || *s.AllowPrivilegeEscalation ||
				s.ReadOnlyRootFilesystem == nil || !*s.ReadOnlyRootFilesystem ||
				s.Capabilities == nil || !slices.Equal(s.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(s.Capabilities.Add) != 0 {
				t.Errorf("%s, container %s: want allowPrivilegeEscalation false, readOnlyRootFilesystem true, capabilities drop [ALL]", w, c.Name)
			}
		}
	}
	// The HPA's utilisation is a share of the CPU request, and the live
	// engine is sized to the limit.
	_, c, _ := m.livegate(t)
	if c.Resources.Limits.Cpu().IsZero() {
		t.Error("livegate: want a CPU limit (Go sets GOMAXPROCS from it, and LIVEGATE_MAX_LIVE is sized to it)")
	}
}

// TestSelectorsMatch: each workload's selector matches its own pods, the
// PodDisruptionBudget and the NetworkPolicy's peer select livegate's pods,
// and the HPA scales the Deployment.
func TestSelectorsMatch(t *testing.T) {
	m := load(t)
	for _, d := range m.deployments {
		if !selects(t, d.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("Deployment %s: its selector does not match its pod labels", d.Name)
		}
	}
	for _, s := range m.statefulSets {
		if !selects(t, s.Spec.Selector, s.Spec.Template.Labels) {
			t.Errorf("StatefulSet %s: its selector does not match its pod labels", s.Name)
		}
	}
	d, _, _ := m.livegate(t)
	pods := d.Spec.Template.Labels
	for _, p := range m.pdbs {
		if !selects(t, p.Spec.Selector, pods) {
			t.Errorf("PodDisruptionBudget %s does not select the livegate pods %v", p.Name, pods)
		}
		if p.Spec.MaxUnavailable == nil && p.Spec.MinAvailable == nil {
			t.Errorf("PodDisruptionBudget %s: neither maxUnavailable nor minAvailable", p.Name)
		}
	}
	for _, np := range m.netpols {
		for _, in := range np.Spec.Ingress {
			for _, from := range in.From {
				if from.PodSelector != nil && !selects(t, from.PodSelector, pods) {
					t.Errorf("NetworkPolicy %s admits pods %v, not livegate's %v", np.Name, from.PodSelector.MatchLabels, pods)
				}
			}
		}
	}
	if len(m.hpas) != 1 {
		t.Fatalf("%d HPAs; want 1", len(m.hpas))
	}
	h := m.hpas[0]
	if ref := h.Spec.ScaleTargetRef; ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != d.Name {
		t.Errorf("HPA targets %+v; want apps/v1 Deployment %s", ref, d.Name)
	}
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		t.Errorf("HPA replicas %v–%d: want at least 2 (one pod drains while another serves) and min ≤ max", h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	cpu := false
	for _, mt := range h.Spec.Metrics {
		cpu = cpu || (mt.Type == autoscalingv2.ResourceMetricSourceType && mt.Resource != nil && mt.Resource.Name == corev1.ResourceCPU)
	}
	if !cpu {
		t.Error("HPA has no CPU metric")
	}
	if len(m.k.Images) != 1 || d.Spec.Template.Spec.Containers[0].Image != m.k.Images[0].Name {
		t.Errorf("kustomization images %+v do not name the Deployment's image %q", m.k.Images, d.Spec.Template.Spec.Containers[0].Image)
	}
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
