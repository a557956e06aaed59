package main

import (
	"bytes"
	"strings"
	"testing"
)

const restrictedPod = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ok}
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      initContainers:
        - name: sidecar
          image: x
          restartPolicy: Always
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
      containers:
        - name: app
          image: x
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
`

func runOn(t *testing.T, manifest string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run([]string{"-level", "restricted", "-version", "latest"}, strings.NewReader(manifest), &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestRestrictedPodPasses(t *testing.T) {
	if code, out := runOn(t, restrictedPod); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
}

// Each defect is one a reviewer could plausibly let through; the upstream library must catch each.
func TestEachDefectFails(t *testing.T) {
	defects := map[string][2]string{
		"seccomp":                  {"seccompProfile: {type: RuntimeDefault}", "seccompProfile: {type: Unconfined}"},
		"runAsNonRoot":             {"runAsNonRoot: true", "runAsNonRoot: false"},
		"allowPrivilegeEscalation": {"allowPrivilegeEscalation: false\n            capabilities", "allowPrivilegeEscalation: true\n            capabilities"},
		"capabilities":             {"capabilities: {drop: [ALL]}\n      containers", "capabilities: {drop: [NET_RAW]}\n      containers"},
	}
	for name, edit := range defects {
		broken := strings.Replace(restrictedPod, edit[0], edit[1], 1)
		if broken == restrictedPod {
			t.Fatalf("%s: the edit did not apply", name)
		}
		code, out := runOn(t, broken)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1: %s", name, code, out)
		}
	}
}

func TestNoPodIsAnError(t *testing.T) {
	if code, _ := runOn(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}
