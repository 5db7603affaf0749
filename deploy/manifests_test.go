package deploy

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
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The deployment files cannot run here (no Docker, no Kubernetes). These tests read them and
// check what can be checked without running them: they parse, every command, flag and
// environment variable they give econflow is one the binary has, and names and ports agree
// between the services that refer to each other.

// binary is what cmd/econflow understands, read from its source.
type binary struct {
	commands, flags, env map[string]bool
}

// pendingNames are names the deployment files use for features that are not in this branch's
// binary yet (none at present). A name here that the binary does
// not know is logged, not failed; once the binary has it, the test says it can be removed.
var pendingNames = map[string]string{}

var envNameRE = regexp.MustCompile(`^ECONFLOW_[A-Z0-9_]+$`)

// readBinary collects from the non-test Go files of cmd/econflow: every ECONFLOW_* string literal
// (the environment variables it reads), every flag name registered on a FlagSet, and the keys of
// the command table.
func readBinary(t *testing.T) binary {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "cmd", "econflow", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	b := binary{commands: map[string]bool{}, flags: map[string]bool{}, env: map[string]bool{}}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && envNameRE.MatchString(s) {
					b.env[s] = true
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				// fs.StringVar(&p, "name", …), fs.Var(v, "name", …): the name is the second argument.
				switch sel.Sel.Name {
				case "StringVar", "IntVar", "Int64Var", "UintVar", "BoolVar", "DurationVar", "Float64Var", "Var", "Func", "TextVar":
					if len(n.Args) > 1 {
						if s, ok := stringLit(n.Args[1]); ok {
							b.flags[s] = true
						}
					}
				}
			case *ast.CompositeLit:
				// commands := map[string]func(…) error{"migrate": cmdMigrate, …}
				if _, ok := n.Type.(*ast.MapType); !ok {
					return true
				}
				for _, e := range n.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					k, ok := stringLit(kv.Key)
					v, isIdent := kv.Value.(*ast.Ident)
					if ok && isIdent && strings.HasPrefix(v.Name, "cmd") {
						b.commands[k] = true
					}
				}
			}
			return true
		})
	}
	// The reading works: what every deployment relies on is found.
	for _, want := range []string{"ECONFLOW_BROKERS", "ECONFLOW_CLICKHOUSE", "ECONFLOW_GROUP", "ECONFLOW_HTTP", "ECONFLOW_KAFKA_PASSWORD"} {
		if !b.env[want] {
			t.Fatalf("cmd/econflow does not read %s any more (or this test no longer finds it): found %v", want, sortedKeys(b.env))
		}
	}
	for _, want := range []string{"brokers", "clickhouse", "http", "partitions", "replication"} {
		if !b.flags[want] {
			t.Fatalf("cmd/econflow has no flag --%s any more (or this test no longer finds it): found %v", want, sortedKeys(b.flags))
		}
	}
	for _, want := range []string{"migrate", "consume"} {
		if !b.commands[want] {
			t.Fatalf("cmd/econflow has no command %s any more (or this test no longer finds it): found %v", want, sortedKeys(b.commands))
		}
	}
	return b
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// known reports an unknown name as an error, a pending one in the log.
func (b binary) known(t *testing.T, where, kind, name string) {
	t.Helper()
	var ok bool
	switch kind {
	case "command":
		ok = b.commands[name]
	case "flag":
		ok = b.flags[name]
	case "env":
		ok = b.env[name]
	}
	why, pending := pendingNames[kind+" "+name]
	switch {
	case ok && pending:
		t.Logf("%s: %s %s is in the binary now; remove it from pendingNames", where, kind, name)
	case pending:
		t.Logf("%s: %s %s is not in this binary yet (%s)", where, kind, name, why)
	case !ok:
		t.Errorf("%s: econflow has no %s %s", where, kind, name)
	}
}

// checkArgs checks a command line given to the econflow binary: a known command, known flags
// (each followed by its value), and returns the flags' values.
func (b binary) checkArgs(t *testing.T, where string, args []string) (command string, flags map[string]string) {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: no econflow command", where)
		return "", nil
	}
	b.known(t, where, "command", args[0])
	flags = map[string]string{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			t.Errorf("%s: argument %q is not a flag", where, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			value = args[i+1]
			i++
		}
		b.known(t, where, "flag", name)
		flags[name] = value
	}
	return args[0], flags
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// compose is the part of a compose file these tests read.
type compose struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       *composeBuild     `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Expose      []string          `yaml:"expose"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	Volumes         []string `yaml:"volumes"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

// substituteVars replaces compose's ${VAR…} references with the variable's name in capitals, so
// that a DSN holding one still parses.
func substituteVars(s string) string {
	return regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}`).ReplaceAllString(s, "VAR-$1")
}

// hostPort splits a host:port and fails the test when it is not one.
func hostPort(t *testing.T, where, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s: %q is not host:port: %v", where, addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("%s: port of %q: %v", where, addr, err)
	}
	return h, port
}

func TestComposeFile(t *testing.T) {
	bin := readBinary(t)
	raw, err := os.ReadFile(filepath.Join("compose", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	// A misspelt key (enviroment, depends-on) would be ignored by compose's readers here and
	// there: every service key must be one compose has and these tests expect.
	var loose struct {
		Services map[string]map[string]any `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &loose); err != nil {
		t.Fatal(err)
	}
	composeKeys := map[string]bool{"image": true, "build": true, "command": true, "environment": true, "ports": true,
		"expose": true, "depends_on": true, "healthcheck": true, "restart": true, "volumes": true, "ulimits": true,
		"stop_grace_period": true}
	for name, svc := range loose.Services {
		for key := range svc {
			if !composeKeys[key] {
				t.Errorf("service %s: key %q is not one these tests know (misspelt?)", name, key)
			}
		}
	}
	for _, name := range []string{"kafka", "clickhouse", "migrate", "consume", "serve"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("service %s missing; have %v", name, sortedKeys(c.Services))
		}
	}
	kafka, ch := c.Services["kafka"], c.Services["clickhouse"]
	econflowImage := c.Services["migrate"].Image
	if c.Services["migrate"].Build == nil || econflowImage == "" {
		t.Fatal("migrate builds the econflow image and names it")
	}
	b := c.Services["migrate"].Build
	dockerfile, err := os.ReadFile(filepath.Join("compose", b.Context, b.Dockerfile))
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if !bytes.Contains(dockerfile, []byte("./cmd/econflow")) || !bytes.Contains(dockerfile, []byte("ENTRYPOINT")) {
		t.Errorf("%s does not build ./cmd/econflow into the entrypoint", b.Dockerfile)
	}
	if _, err := os.Stat(filepath.Join("compose", b.Context, "go.mod")); err != nil {
		t.Errorf("build context %s is not the repository root: %v", b.Context, err)
	}

	topics := map[string]map[string]string{}
	for _, name := range []string{"migrate", "consume", "serve"} {
		s := c.Services[name]
		where := "compose service " + name
		if s.Image != econflowImage {
			t.Errorf("%s: image %q, want the econflow image %q", where, s.Image, econflowImage)
		}
		cmd, flags := bin.checkArgs(t, where, s.Command)
		if cmd != name {
			t.Errorf("%s runs econflow %s", where, cmd)
		}
		if cmd == "migrate" || cmd == "consume" {
			topics[name] = flags
		}
		for k, v := range s.Environment {
			if !envNameRE.MatchString(k) {
				t.Errorf("%s: environment %s is not an econflow setting", where, k)
				continue
			}
			bin.known(t, where, "env", k)
			if v == "" {
				t.Errorf("%s: %s is empty", where, k)
			}
		}
		if dsn := s.Environment["ECONFLOW_CLICKHOUSE"]; dsn != "" {
			checkComposeDSN(t, where, dsn, ch)
		} else {
			t.Errorf("%s: no ECONFLOW_CLICKHOUSE", where)
		}
		if name == "serve" {
			continue
		}
		brokers := s.Environment["ECONFLOW_BROKERS"]
		if brokers == "" {
			t.Errorf("%s: no ECONFLOW_BROKERS", where)
		}
		for _, addr := range strings.Split(brokers, ",") {
			host, port := hostPort(t, where+" ECONFLOW_BROKERS", addr)
			if _, ok := c.Services[host]; !ok {
				t.Errorf("%s: broker host %s is not a service", where, host)
			}
			if !strings.Contains(","+kafka.Environment["KAFKA_ADVERTISED_LISTENERS"]+",", "://"+host+":"+strconv.Itoa(port)+",") {
				t.Errorf("%s: broker %s is not among kafka's advertised listeners %s", where, addr, kafka.Environment["KAFKA_ADVERTISED_LISTENERS"])
			}
		}
	}
	if fmt.Sprint(topics["migrate"]) != fmt.Sprint(topics["consume"]) {
		t.Errorf("migrate creates topics with %v but consume (which migrates too) with %v", topics["migrate"], topics["consume"])
	}

	// migrate waits for healthy services; consume and serve for migrate's success.
	for dep, svc := range map[string]composeService{"kafka": kafka, "clickhouse": ch} {
		if svc.Healthcheck == nil || len(svc.Healthcheck.Test) == 0 {
			t.Errorf("%s has no healthcheck for migrate to wait on", dep)
		}
		if got := c.Services["migrate"].DependsOn[dep].Condition; got != "service_healthy" {
			t.Errorf("migrate depends on %s with condition %q, want service_healthy", dep, got)
		}
	}
	for _, name := range []string{"consume", "serve"} {
		if got := c.Services[name].DependsOn["migrate"].Condition; got != "service_completed_successfully" {
			t.Errorf("%s depends on migrate with condition %q, want service_completed_successfully", name, got)
		}
	}

	// Ports: the consumer's HTTP inside the network, the dashboard on the host's loopback.
	consume, serve := c.Services["consume"], c.Services["serve"]
	host, metricsPort := hostPort(t, "consume ECONFLOW_HTTP", consume.Environment["ECONFLOW_HTTP"])
	if host != "0.0.0.0" {
		t.Errorf("consume listens on %s: in a container it must listen on 0.0.0.0", host)
	}
	if !contains(consume.Expose, strconv.Itoa(metricsPort)) {
		t.Errorf("consume exposes %v, not its HTTP port %d", consume.Expose, metricsPort)
	}
	host, servePort := hostPort(t, "serve ECONFLOW_SERVE_HTTP", serve.Environment["ECONFLOW_SERVE_HTTP"])
	if host != "0.0.0.0" {
		t.Errorf("serve listens on %s: in a container it must listen on 0.0.0.0", host)
	}
	want := fmt.Sprintf("127.0.0.1:%d:%d", servePort, servePort)
	if len(serve.Ports) != 1 || serve.Ports[0] != want {
		t.Errorf("serve publishes %v, want [%s] (the host's loopback only)", serve.Ports, want)
	}
	for name, s := range c.Services {
		if name != "serve" && len(s.Ports) > 0 {
			t.Errorf("service %s publishes %v on the host; only the dashboard should", name, s.Ports)
		}
	}
	u, err := url.Parse(serve.Environment["ECONFLOW_METRICS_URL"])
	if err != nil || u.Host != "consume:"+strconv.Itoa(metricsPort) || u.Path != "/metrics" {
		t.Errorf("serve's ECONFLOW_METRICS_URL %q is not consume's /metrics on port %d", serve.Environment["ECONFLOW_METRICS_URL"], metricsPort)
	}

	// The consumer gets longer to stop than it takes to drain.
	grace, err := time.ParseDuration(consume.StopGracePeriod)
	if err != nil {
		t.Fatalf("consume stop_grace_period %q: %v", consume.StopGracePeriod, err)
	}
	if drain := shutdownTimeout(t, consume.Environment["ECONFLOW_SHUTDOWN_TIMEOUT"]); grace <= drain {
		t.Errorf("consume stop_grace_period %v is not longer than its shutdown timeout %v", grace, drain)
	}
	for _, v := range append(append([]string{}, kafka.Volumes...), ch.Volumes...) {
		name, _, _ := strings.Cut(v, ":")
		if _, ok := c.Volumes[name]; !ok {
			t.Errorf("volume %s is not declared", name)
		}
	}
}

// checkComposeDSN checks a ClickHouse DSN against the clickhouse service: its host, the native
// port, the database and user it creates, its password variable.
func checkComposeDSN(t *testing.T, where, dsn string, ch composeService) {
	t.Helper()
	u, err := url.Parse(substituteVars(dsn))
	if err != nil || u.Scheme != "clickhouse" {
		t.Errorf("%s: ECONFLOW_CLICKHOUSE %q is not a clickhouse:// DSN: %v", where, dsn, err)
		return
	}
	if u.Host != "clickhouse:9000" {
		t.Errorf("%s: DSN host %s, want the clickhouse service's native port clickhouse:9000", where, u.Host)
	}
	if db := strings.Trim(u.Path, "/"); db != ch.Environment["CLICKHOUSE_DB"] {
		t.Errorf("%s: DSN database %s, clickhouse creates %s", where, db, ch.Environment["CLICKHOUSE_DB"])
	}
	if u.User.Username() != ch.Environment["CLICKHOUSE_USER"] {
		t.Errorf("%s: DSN user %s, clickhouse creates %s", where, u.User.Username(), ch.Environment["CLICKHOUSE_USER"])
	}
	pw, _ := u.User.Password()
	if want := substituteVars(ch.Environment["CLICKHOUSE_PASSWORD"]); pw != want || !strings.HasPrefix(pw, "VAR-") {
		t.Errorf("%s: DSN password %q, want the variable clickhouse's password comes from (%s)", where, pw, want)
	}
}

// shutdownTimeout is the consumer's drain bound: the setting, or the binary's default of 30s.
func shutdownTimeout(t *testing.T, v string) time.Duration {
	t.Helper()
	if v == "" {
		return 30 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("ECONFLOW_SHUTDOWN_TIMEOUT %q: %v", v, err)
	}
	return d
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Kubernetes objects, the fields these tests read.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template podTemplate `yaml:"template"`
		// Service
		ServiceSelector map[string]string `yaml:"-"`
		Ports           []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
	raw map[string]any
}

type podTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		TerminationGracePeriodSeconds *int        `yaml:"terminationGracePeriodSeconds"`
		Containers                    []container `yaml:"containers"`
	} `yaml:"spec"`
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Args    []string `yaml:"args"`
	Command []string `yaml:"command"`
	EnvFrom []struct {
		ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
		SecretRef    *struct{ Name string } `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
			ConfigMapKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"configMapKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	StartupProbe   *probe `yaml:"startupProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type kustomization struct {
	Resources       []string `yaml:"resources"`
	SecretGenerator []struct {
		Name string   `yaml:"name"`
		Envs []string `yaml:"envs"`
	} `yaml:"secretGenerator"`
	Images []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// readK8s reads the kustomization and every object of the files it lists.
func readK8s(t *testing.T) (kustomization, map[string]*k8sObject) {
	t.Helper()
	dir := "k8s"
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, f := range files {
		if filepath.Base(f) != "kustomization.yaml" {
			listed = append(listed, filepath.Base(f))
		}
	}
	if strings.Join(sortedCopy(k.Resources), ",") != strings.Join(listed, ",") {
		t.Errorf("kustomization resources %v, want every manifest of %s: %v", k.Resources, dir, listed)
	}
	objs := map[string]*k8sObject{}
	for _, name := range k.Resources {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for i := 0; ; i++ {
			var node yaml.Node
			if err := dec.Decode(&node); err != nil {
				if err.Error() == "EOF" {
					break
				}
				t.Fatalf("%s document %d: %v", name, i, err)
			}
			o := &k8sObject{}
			if err := node.Decode(o); err != nil {
				t.Fatalf("%s document %d: %v", name, i, err)
			}
			if err := node.Decode(&o.raw); err != nil {
				t.Fatalf("%s document %d: %v", name, i, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Fatalf("%s document %d: apiVersion, kind and metadata.name are required", name, i)
			}
			if o.Kind == "Service" {
				spec, _ := o.raw["spec"].(map[string]any)
				sel, _ := spec["selector"].(map[string]any)
				o.Spec.ServiceSelector = map[string]string{}
				for k, v := range sel {
					o.Spec.ServiceSelector[k] = fmt.Sprint(v)
				}
			}
			key := o.Kind + "/" + o.Metadata.Name
			if _, dup := objs[key]; dup {
				t.Errorf("%s defined twice", key)
			}
			objs[key] = o
		}
	}
	return k, objs
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// readEnvFile reads KEY=VALUE lines, skipping comments and blank lines.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=VALUE", path, line)
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// quantity parses a Kubernetes CPU or memory quantity: cores (or bytes).
func quantity(t *testing.T, s string) float64 {
	t.Helper()
	units := []struct {
		suffix string
		factor float64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			if err != nil {
				t.Fatalf("quantity %q: %v", s, err)
			}
			return v * u.factor
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("quantity %q: %v", s, err)
	}
	return v
}

func TestKubernetesManifests(t *testing.T) {
	bin := readBinary(t)
	k, objs := readK8s(t)
	get := func(key string) *k8sObject {
		t.Helper()
		o, ok := objs[key]
		if !ok {
			t.Fatalf("%s missing; have %v", key, sortedKeys(objs))
		}
		return o
	}
	cm := get("ConfigMap/econflow-config")
	consume := get("Deployment/econflow-consume")
	serve := get("Deployment/econflow-serve")
	migrate := get("Job/econflow-migrate")
	consumeSvc := get("Service/econflow-consume")
	get("Service/econflow-serve")

	if len(k.SecretGenerator) != 1 || len(k.SecretGenerator[0].Envs) != 1 {
		t.Fatalf("kustomization: want one secretGenerator from one env file, got %+v", k.SecretGenerator)
	}
	secretName := k.SecretGenerator[0].Name
	secretKeys := readEnvFile(t, filepath.Join("k8s", k.SecretGenerator[0].Envs[0]+".example"))
	if len(k.Images) != 1 {
		t.Fatalf("kustomization: want one image, got %+v", k.Images)
	}
	image := k.Images[0].Name

	for key := range cm.Data {
		if !envNameRE.MatchString(key) {
			t.Errorf("ConfigMap %s: key %s is not an econflow setting", cm.Metadata.Name, key)
			continue
		}
		bin.known(t, "ConfigMap "+cm.Metadata.Name, "env", key)
		if strings.Contains(key, "PASSWORD") || key == "ECONFLOW_CLICKHOUSE" {
			t.Errorf("ConfigMap %s holds %s: credentials belong in the Secret", cm.Metadata.Name, key)
		}
	}
	for key, value := range secretKeys {
		if strings.HasPrefix(key, "ECONFLOW_") {
			t.Errorf("secret key %s: name secret keys by what they hold; containers map them to settings", key)
		}
		if strings.Contains(key, "dsn") {
			if u, err := url.Parse(value); err != nil || u.Scheme != "clickhouse" || u.Port() == "" {
				t.Errorf("secret %s=%s is not a clickhouse:// DSN with a port", key, value)
			}
		}
	}

	topics := map[string]map[string]string{}
	usedSecretKeys := map[string]bool{}
	httpPorts := map[string]int{}
	for _, o := range []*k8sObject{consume, serve, migrate} {
		where := o.Kind + "/" + o.Metadata.Name
		tpl := o.Spec.Template
		if o.Kind == "Deployment" {
			if len(o.Spec.Selector.MatchLabels) == 0 {
				t.Errorf("%s: no selector", where)
			}
			for l, v := range o.Spec.Selector.MatchLabels {
				if tpl.Metadata.Labels[l] != v {
					t.Errorf("%s: selector %s=%s does not match the pod template's labels %v", where, l, v, tpl.Metadata.Labels)
				}
			}
		}
		if len(tpl.Spec.Containers) != 1 {
			t.Fatalf("%s: want one container, got %d", where, len(tpl.Spec.Containers))
		}
		c := tpl.Spec.Containers[0]
		if c.Image != image {
			t.Errorf("%s: image %q, want %q (set by the kustomization's images)", where, c.Image, image)
		}
		if len(c.Command) > 0 {
			t.Errorf("%s: command %v overrides the image's entrypoint; give econflow's arguments in args", where, c.Command)
		}
		cmd, flags := bin.checkArgs(t, where, c.Args)
		if cmd == "migrate" || cmd == "consume" {
			topics[cmd] = flags
		}
		env := map[string]string{}
		for _, ef := range c.EnvFrom {
			switch {
			case ef.ConfigMapRef != nil:
				if ef.ConfigMapRef.Name != cm.Metadata.Name {
					t.Errorf("%s: envFrom ConfigMap %s does not exist", where, ef.ConfigMapRef.Name)
				}
				for key, v := range cm.Data {
					env[key] = v
				}
			case ef.SecretRef != nil:
				t.Errorf("%s: envFrom a Secret; map each secret key to its setting with secretKeyRef", where)
			}
		}
		for _, e := range c.Env {
			bin.known(t, where, "env", e.Name)
			switch {
			case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
				ref := e.ValueFrom.SecretKeyRef
				if ref.Name != secretName {
					t.Errorf("%s: %s from Secret %s, which is not generated (%s is)", where, e.Name, ref.Name, secretName)
				}
				if _, ok := secretKeys[ref.Key]; !ok {
					t.Errorf("%s: %s from secret key %s, which secret.env.example does not have", where, e.Name, ref.Key)
				}
				usedSecretKeys[ref.Key] = true
				env[e.Name] = "<secret>"
			case e.ValueFrom != nil:
				t.Errorf("%s: %s: only secretKeyRef is expected in valueFrom", where, e.Name)
			default:
				if strings.Contains(e.Name, "PASSWORD") || e.Name == "ECONFLOW_CLICKHOUSE" {
					t.Errorf("%s: %s given as a plain value: credentials come from the Secret", where, e.Name)
				}
				env[e.Name] = e.Value
			}
		}
		if env["ECONFLOW_CLICKHOUSE"] != "<secret>" {
			t.Errorf("%s: ECONFLOW_CLICKHOUSE does not come from the Secret", where)
		}
		if cmd != "serve" && env["ECONFLOW_BROKERS"] == "" {
			t.Errorf("%s: no ECONFLOW_BROKERS", where)
		}
		if env["ECONFLOW_KAFKA_SASL_MECHANISM"] != "" && cmd != "serve" && (env["ECONFLOW_KAFKA_USERNAME"] == "" || env["ECONFLOW_KAFKA_PASSWORD"] == "") {
			t.Errorf("%s: SASL mechanism set without a username and password", where)
		}
		for _, r := range []string{"cpu", "memory"} {
			if c.Resources.Requests[r] == "" {
				t.Errorf("%s: no %s request", where, r)
			}
		}
		if c.Resources.Limits["memory"] == "" {
			t.Errorf("%s: no memory limit", where)
		} else if quantity(t, c.Resources.Limits["memory"]) < quantity(t, c.Resources.Requests["memory"]) {
			t.Errorf("%s: memory limit below the request", where)
		}
		if o.Kind != "Deployment" {
			continue
		}
		// The HTTP port: the address the binary binds, the container port, the probes.
		addrVar := map[string]string{"consume": "ECONFLOW_HTTP", "serve": "ECONFLOW_SERVE_HTTP"}[cmd]
		host, port := hostPort(t, where+" "+addrVar, env[addrVar])
		if host != "0.0.0.0" {
			t.Errorf("%s: %s binds %s; in a pod it must bind 0.0.0.0 to be probed", where, addrVar, host)
		}
		httpPorts[cmd] = port
		if len(c.Ports) != 1 || c.Ports[0].ContainerPort != port || c.Ports[0].Name != "http" {
			t.Errorf("%s: container ports %+v, want one named http on %d", where, c.Ports, port)
		}
		wantReady := map[string]string{"consume": "/readyz", "serve": "/healthz"}[cmd]
		checkProbe(t, where+" liveness", c.LivenessProbe, "/healthz", port)
		checkProbe(t, where+" readiness", c.ReadinessProbe, wantReady, port)
		if cmd == "consume" {
			checkProbe(t, where+" startup", c.StartupProbe, "/healthz", port)
			grace := tpl.Spec.TerminationGracePeriodSeconds
			if drain := shutdownTimeout(t, env["ECONFLOW_SHUTDOWN_TIMEOUT"]); grace == nil || time.Duration(*grace)*time.Second <= drain {
				t.Errorf("%s: terminationGracePeriodSeconds %v is not longer than the shutdown timeout %v", where, grace, drain)
			}
			// Sized from the benchmark: ~2 CPU-s per million rows at ~500k rows/s is one core,
			// and ~200 MB RSS at the default batch.
			if cpu := quantity(t, c.Resources.Requests["cpu"]); cpu < 1 {
				t.Errorf("%s: cpu request %s, want at least one core (one consumer's full-speed drain)", where, c.Resources.Requests["cpu"])
			}
			if mem := quantity(t, c.Resources.Requests["memory"]); mem < 200<<20 {
				t.Errorf("%s: memory request %s, want at least the 200 MB a consumer peaks at", where, c.Resources.Requests["memory"])
			}
			if v := env["ECONFLOW_MEMORY_LIMIT_MIB"]; v != "" {
				mib, err := strconv.Atoi(v)
				if err != nil || float64(mib)*(1<<20) >= quantity(t, c.Resources.Limits["memory"]) {
					t.Errorf("%s: ECONFLOW_MEMORY_LIMIT_MIB %s is not below the memory limit %s", where, v, c.Resources.Limits["memory"])
				}
			}
		}
	}
	for key := range secretKeys {
		if !usedSecretKeys[key] {
			t.Errorf("secret key %s is used by no container", key)
		}
	}
	if fmt.Sprint(topics["migrate"]) != fmt.Sprint(topics["consume"]) {
		t.Errorf("the migrate Job creates topics with %v but consume (which migrates too) with %v", topics["migrate"], topics["consume"])
	}
	if p, err := strconv.Atoi(topics["migrate"]["partitions"]); err != nil || consume.Spec.Replicas == nil || *consume.Spec.Replicas > p {
		t.Errorf("consume replicas %v with %q partitions: consumers beyond the partitions sit idle", consume.Spec.Replicas, topics["migrate"]["partitions"])
	}
	if rf, err := strconv.Atoi(topics["migrate"]["replication"]); err != nil || rf < 3 {
		t.Errorf("topics replicated %q times; production topics want 3 (min.insync.replicas=2)", topics["migrate"]["replication"])
	}

	// Services select their Deployment's pods and reach the named container port.
	for _, pair := range [][2]*k8sObject{{consumeSvc, consume}, {get("Service/econflow-serve"), serve}} {
		svc, dep := pair[0], pair[1]
		where := "Service/" + svc.Metadata.Name
		if len(svc.Spec.ServiceSelector) == 0 {
			t.Errorf("%s: no selector", where)
		}
		for l, v := range svc.Spec.ServiceSelector {
			if dep.Spec.Template.Metadata.Labels[l] != v {
				t.Errorf("%s: selector %s=%s does not select %s's pods", where, l, v, dep.Metadata.Name)
			}
		}
		if len(svc.Spec.Ports) != 1 || fmt.Sprint(svc.Spec.Ports[0].TargetPort) != "http" {
			t.Errorf("%s: ports %+v, want one with targetPort http", where, svc.Spec.Ports)
		}
	}
	// The dashboard's link to the consumers' metrics goes through their Service.
	var metricsURL string
	for _, e := range serve.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "ECONFLOW_METRICS_URL" {
			metricsURL = e.Value
		}
	}
	u, err := url.Parse(metricsURL)
	if err != nil || len(consumeSvc.Spec.Ports) != 1 ||
		u.Host != consumeSvc.Metadata.Name+":"+strconv.Itoa(consumeSvc.Spec.Ports[0].Port) || u.Path != "/metrics" {
		t.Errorf("serve's ECONFLOW_METRICS_URL %q is not /metrics on the consume Service", metricsURL)
	} else if consumeSvc.Spec.Ports[0].Port != httpPorts["consume"] {
		t.Logf("the consume Service maps port %d to the consumers' %d", consumeSvc.Spec.Ports[0].Port, httpPorts["consume"])
	}
}

// checkProbe wants an HTTP probe of path on the container's http port.
func checkProbe(t *testing.T, where string, p *probe, path string, port int) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: no HTTP probe", where)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s: path %s, want %s", where, p.HTTPGet.Path, path)
	}
	if got := fmt.Sprint(p.HTTPGet.Port); got != "http" && got != strconv.Itoa(port) {
		t.Errorf("%s: port %s, want http (%d)", where, got, port)
	}
}
