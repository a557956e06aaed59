// Command psa-check judges every pod in rendered Kubernetes manifests against a Pod Security Standards
// profile with the upstream admission library (k8s.io/pod-security-admission), the same code the
// kube-apiserver's PodSecurity admission plugin runs. It reads multi-document YAML from the files named
// on the command line (or stdin), finds each pod template (Pod, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, Job, CronJob), and exits 1 naming every failing check.
//
//	kubectl kustomize deploy/kustomize/overlays/single | psa-check -level restricted -version latest
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// object is the part of any workload this tool reads: its kind and name, and wherever a pod spec sits.
type object struct {
	Kind     string            `json:"kind"`
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		corev1.PodSpec
		Template    *corev1.PodTemplateSpec `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template corev1.PodTemplateSpec `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

// podOf returns the pod metadata and spec of a workload, or ok=false for kinds that hold no pod.
func podOf(o *object) (*metav1.ObjectMeta, *corev1.PodSpec, bool) {
	switch o.Kind {
	case "Pod":
		return &o.Metadata, &o.Spec.PodSpec, true
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController":
		if o.Spec.Template == nil {
			return nil, nil, false
		}
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	case "CronJob":
		if o.Spec.JobTemplate == nil {
			return nil, nil, false
		}
		t := &o.Spec.JobTemplate.Spec.Template
		return &t.ObjectMeta, &t.Spec, true
	}
	return nil, nil, false
}

// splitDocuments cuts a YAML stream at its "---" separators.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var current bytes.Buffer
	scanner := bufio.NewScanner(bytes.NewReader(data))
	scanner.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.TrimRight(line, " \t") == "---" {
			docs = append(docs, append([]byte(nil), current.Bytes()...))
			current.Reset()
			continue
		}
		current.WriteString(line)
		current.WriteByte('\n')
	}
	return append(docs, current.Bytes())
}

// Check evaluates every pod in the YAML stream and returns one line per failing check, and how many
// pods it judged.
func Check(data []byte, level api.LevelVersion) (failures []string, pods int, err error) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, 0, err
	}
	for _, doc := range splitDocuments(data) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var o object
		// Lenient on purpose: this reads only the pod parts of a workload (kubernetes-validate checks
		// every field strictly); a document that is not YAML at all is still an error.
		if err := yaml.Unmarshal(doc, &o); err != nil {
			return nil, pods, fmt.Errorf("not a Kubernetes object: %w", err)
		}
		meta, spec, ok := podOf(&o)
		if !ok {
			continue
		}
		pods++
		for _, result := range evaluator.EvaluatePod(level, meta, spec) {
			if !result.Allowed {
				failures = append(failures, fmt.Sprintf("%s/%s: %s: %s",
					o.Kind, o.Metadata.Name, result.ForbiddenReason, result.ForbiddenDetail))
			}
		}
	}
	return failures, pods, nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("psa-check", flag.ContinueOnError)
	flags.SetOutput(stderr)
	levelName := flags.String("level", "restricted", "Pod Security Standards level: privileged, baseline or restricted")
	versionName := flags.String("version", "latest", "policy version: latest or v1.N")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	level, err := api.ParseLevel(*levelName)
	if err != nil {
		fmt.Fprintln(stderr, "psa-check:", err)
		return 2
	}
	version, err := api.ParseVersion(*versionName)
	if err != nil {
		fmt.Fprintln(stderr, "psa-check:", err)
		return 2
	}
	var data []byte
	if flags.NArg() == 0 {
		data, err = io.ReadAll(stdin)
	} else {
		for _, name := range flags.Args() {
			var chunk []byte
			chunk, err = os.ReadFile(name)
			if err != nil {
				break
			}
			data = append(append(data, chunk...), []byte("\n---\n")...)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "psa-check:", err)
		return 2
	}
	failures, pods, err := Check(data, api.LevelVersion{Level: level, Version: version})
	if err != nil {
		fmt.Fprintln(stderr, "psa-check:", err)
		return 2
	}
	if pods == 0 {
		fmt.Fprintln(stderr, "psa-check:", errors.New("no pod or pod template found"))
		return 2
	}
	for _, failure := range failures {
		fmt.Fprintln(stdout, failure)
	}
	if len(failures) > 0 {
		fmt.Fprintf(stdout, "psa-check: %d pod(s), %d failing %s:%s check(s)\n", pods, len(failures), level, version.String())
		return 1
	}
	fmt.Fprintf(stdout, "psa-check: %d pod(s) pass Pod Security %s:%s\n", pods, level, version.String())
	return 0
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
