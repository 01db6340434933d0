// Every kind of reference/argocd-cmp.md §6 is read at its known path, with the right
// file, line and path. Expected lines are found by searching the fixture text.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Warning } from '../../src/errors.js';
import { parseManifestStream } from '../../src/manifests/document.js';
import { extractImages, type ImageUse } from '../../src/manifests/extract.js';
import { PROJECT_ROOT } from '../helpers/gate.js';

const FIXTURES = path.join(PROJECT_ROOT, 'test/fixtures/kinds');

function extract(file: string): { uses: ImageUse[]; warnings: Warning[]; text: string } {
  const text = readFileSync(path.join(FIXTURES, file), 'utf8');
  const uses: ImageUse[] = [];
  const warnings: Warning[] = [];
  for (const object of parseManifestStream(text, file).objects) {
    const found = extractImages(object, 'default');
    uses.push(...found.uses);
    warnings.push(...found.warnings);
  }
  return { uses, warnings, text };
}

/** Line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(index >= 0, `fixture has no line with ${needle}`);
  return index + 1;
}

type Expected = [image: string, kind: string, name: string, path: string];

function assertFound(file: string, expected: Expected[]): ImageUse[] {
  const { uses, text } = extract(file);
  for (const [image, kind, name, p] of expected) {
    const use = uses.find((u) => u.image === image);
    assert.ok(use, `${image} not found in ${file}`);
    assert.deepEqual(
      { kind: use.source.kind, name: use.source.name, path: use.source.path, line: use.source.line, file: use.source.file },
      { kind, name, path: p, line: lineOf(text, image), file },
      image,
    );
  }
  return uses;
}

describe('image extraction by kind', () => {
  it('reads pods, workload controllers, rollouts, knative, keda, openshift and lists', () => {
    const uses = assertFound('workloads.yaml', [
      ['reg.io/pod-init:1', 'Pod', 'pod', 'spec.initContainers[0].image'],
      ['reg.io/pod:1', 'Pod', 'pod', 'spec.containers[0].image'],
      ['reg.io/pod-debug:1', 'Pod', 'pod', 'spec.ephemeralContainers[0].image'],
      ['reg.io/pod-volume:1', 'Pod', 'pod', 'spec.volumes[0].image.reference'],
      ['reg.io/deployment:1', 'Deployment', 'deploy', 'spec.template.spec.containers[0].image'],
      ['reg.io/replicaset:1', 'ReplicaSet', 'rs', 'spec.template.spec.containers[0].image'],
      ['reg.io/statefulset:1', 'StatefulSet', 'sts', 'spec.template.spec.containers[0].image'],
      ['reg.io/daemonset:1', 'DaemonSet', 'ds', 'spec.template.spec.containers[0].image'],
      ['reg.io/job:1', 'Job', 'job', 'spec.template.spec.containers[0].image'],
      ['reg.io/cronjob:1', 'CronJob', 'cron', 'spec.jobTemplate.spec.template.spec.containers[0].image'],
      ['reg.io/replicationcontroller:1', 'ReplicationController', 'rc', 'spec.template.spec.containers[0].image'],
      ['reg.io/podtemplate:1', 'PodTemplate', 'pt', 'template.spec.containers[0].image'],
      ['reg.io/rollout:1', 'Rollout', 'rollout', 'spec.template.spec.containers[0].image'],
      ['reg.io/analysistemplate:1', 'AnalysisTemplate', 'analysis', 'spec.metrics[0].provider.job.spec.template.spec.containers[0].image'],
      ['reg.io/knative-service:1', 'Service', 'ksvc', 'spec.template.spec.containers[0].image'],
      ['reg.io/knative-configuration:1', 'Configuration', 'kconfig', 'spec.template.spec.containers[0].image'],
      ['reg.io/knative-revision:1', 'Revision', 'krev', 'spec.containers[0].image'],
      ['reg.io/scaledjob:1', 'ScaledJob', 'scaled', 'spec.jobTargetRef.template.spec.containers[0].image'],
      ['reg.io/dc-strategy:1', 'DeploymentConfig', 'dc', 'spec.strategy.customParams.image'],
      ['reg.io/deploymentconfig:1', 'DeploymentConfig', 'dc', 'spec.template.spec.containers[0].image'],
      ['reg.io/list-item:1', 'Pod', 'listed', 'spec.containers[0].image'],
    ]);
    assert.equal(uses.length, 22, uses.map((u) => u.image).join(', '));
    assert.ok(uses.every((u) => !u.source.generic));
  });

  it('takes pull secrets and the service account from the pod spec, and the namespace from metadata', () => {
    const { uses } = extract('workloads.yaml');
    const pod = uses.find((u) => u.image === 'reg.io/pod:1')!;
    assert.deepEqual([pod.pullSecrets, pod.serviceAccount, pod.namespace], [['pod-pull'], 'builder', 'apps']);
    const deploy = uses.find((u) => u.image === 'reg.io/deployment:1')!;
    assert.deepEqual([deploy.pullSecrets, deploy.serviceAccount, deploy.namespace], [[], 'default', 'default']);
    assert.deepEqual(uses.find((u) => u.image === 'reg.io/knative-service:1')!.pullSecrets, ['ksvc-pull']);
  });

  it('marks a container whose image an OpenShift ImageChange trigger sets', () => {
    const { uses } = extract('workloads.yaml');
    const triggered = uses.find((u) => u.source.path === 'spec.template.spec.containers[1].image')!;
    assert.equal(triggered.image, ' ');
    assert.equal(triggered.problem?.reason, 'UNSUPPORTED');
    assert.match(triggered.problem?.message ?? '', /ImageChange trigger \(ImageStreamTag builds\/app:latest\)/);
  });

  it('reads image volumes of an Argo Workflow, at the workflow and in a template', () => {
    const text = 'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: wf}\nspec:\n  volumes:\n  - name: models\n    image: {reference: reg.io/wf-volume:1}\n  templates:\n  - name: main\n    container: {image: reg.io/wf-main:1}\n    volumes:\n    - name: data\n      image: {reference: reg.io/wf-template-volume:1}\n';
    const uses = parseManifestStream(text, 'wf.yaml').objects.flatMap((o) => extractImages(o, 'default').uses);
    assert.deepEqual(
      uses.map((u) => [u.image, u.source.path, u.source.line]).sort(),
      [
        ['reg.io/wf-main:1', 'spec.templates[0].container.image', 10],
        ['reg.io/wf-template-volume:1', 'spec.templates[0].volumes[0].image.reference', 13],
        ['reg.io/wf-volume:1', 'spec.volumes[0].image.reference', 7],
      ],
    );
  });

  it("reads a Workflow's artifactGC pod patch and stored templates in its status, and denies a manifest read from an artifact", () => {
    const text = [
      'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: wf}\nspec:',
      '  workflowTemplateRef: {name: harmless}',
      '  artifactGC:\n    strategy: OnWorkflowDeletion\n    podSpecPatch: |\n      containers: [{name: main, image: reg.io/artgc:1}]',
      '  templates:\n  - name: make\n    resource: {action: create, manifestFrom: {artifact: {name: obj}}}',
      'status:\n  storedWorkflowTemplateSpec:\n    templates: [{name: main, container: {image: reg.io/stored:1}}]',
      '  storedTemplates:\n    namespaced/harmless/main: {name: main, container: {image: reg.io/stored2:1}}\n',
    ].join('\n');
    const uses = parseManifestStream(text, 'wf.yaml').objects.flatMap((o) => extractImages(o, 'default').uses);
    assert.deepEqual(
      uses.map((u) => [u.image, u.source.path, u.problem?.reason ?? null]).sort(),
      [
        ['', 'spec.templates[0].resource.manifestFrom', 'UNSUPPORTED'],
        ['reg.io/artgc:1', 'spec.artifactGC.podSpecPatch#containers[0].image', null],
        ['reg.io/stored2:1', 'status.storedTemplates.namespaced/harmless/main.container.image', null],
        ['reg.io/stored:1', 'status.storedWorkflowTemplateSpec.templates[0].container.image', null],
      ],
    );
  });

  it('reads Argo Workflows templates, including a manifest embedded in a string', () => {
    const uses = assertFound('pipelines.yaml', [
      ['reg.io/wf-defaults:1', 'Workflow', 'wf-*', 'spec.templateDefaults.container.image'],
      ['reg.io/wf-container:1', 'Workflow', 'wf-*', 'spec.templates[0].container.image'],
      ['reg.io/wf-script:1', 'Workflow', 'wf-*', 'spec.templates[1].script.image'],
      ['reg.io/wf-init:1', 'Workflow', 'wf-*', 'spec.templates[1].initContainers[0].image'],
      ['reg.io/wf-sidecar:1', 'Workflow', 'wf-*', 'spec.templates[1].sidecars[0].image'],
      ['reg.io/wf-containerset:1', 'Workflow', 'wf-*', 'spec.templates[2].containerSet.containers[0].image'],
      ['reg.io/wf-resource:1', 'Job', 'made-*', 'spec.templates[3].resource.manifest#spec.template.spec.containers[0].image'],
      ['reg.io/workflowtemplate:1', 'WorkflowTemplate', 'wft', 'spec.templates[0].container.image'],
      ['reg.io/clusterworkflowtemplate:1', 'ClusterWorkflowTemplate', 'cwft', 'spec.templates[0].container.image'],
      ['reg.io/cronworkflow:1', 'CronWorkflow', 'cwf', 'spec.workflowSpec.templates[0].container.image'],
    ]);
    const container = uses.find((u) => u.image === 'reg.io/wf-container:1')!;
    assert.deepEqual([container.pullSecrets, container.serviceAccount], [['wf-pull'], 'runner']);
    assert.equal(uses.find((u) => u.image === 'reg.io/wf-resource:1')!.source.via, 'Workflow/wf-*');
  });

  it('reads Tekton inline task specs, with the run\'s pod template and service account', () => {
    const uses = assertFound('pipelines.yaml', [
      ['reg.io/task-steptemplate:1', 'Task', 'task', 'spec.stepTemplate.image'],
      ['reg.io/task-step:1', 'Task', 'task', 'spec.steps[0].image'],
      ['reg.io/task-sidecar:1', 'Task', 'task', 'spec.sidecars[0].image'],
      ['reg.io/taskrun-step:1', 'TaskRun', 'taskrun', 'spec.taskSpec.steps[0].image'],
      ['reg.io/pipeline-step:1', 'Pipeline', 'pipeline', 'spec.tasks[0].taskSpec.steps[0].image'],
      ['reg.io/pipeline-finally:1', 'Pipeline', 'pipeline', 'spec.finally[0].taskSpec.steps[0].image'],
      ['reg.io/pipelinerun-step:1', 'PipelineRun', 'pipelinerun', 'spec.pipelineSpec.tasks[0].taskSpec.steps[0].image'],
    ]);
    const run = uses.find((u) => u.image === 'reg.io/taskrun-step:1')!;
    assert.deepEqual([run.pullSecrets, run.serviceAccount], [['tr-pull'], 'tekton-sa']);
  });

  it('denies what an embedded manifest it cannot read would create, rather than skipping it', () => {
    const text = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf}
spec:
  templates:
  - name: make
    resource:
      action: create
      manifest: |
        kind: Pod
        spec:
          containers:
          - image: {{workflow.parameters.registry}}/app:{{workflow.parameters.tag}}
`;
    const uses = parseManifestStream(text, 'wf.yaml').objects.flatMap((o) => extractImages(o, 'default').uses);
    assert.equal(uses.length, 1);
    assert.equal(uses[0].problem?.reason, 'UNSUPPORTED');
    assert.equal(uses[0].source.path, 'spec.templates[0].resource.manifest');
    assert.equal(uses[0].source.line, 9);
  });

  it('walks an unknown kind for images and says so; never reads ConfigMap data as images', () => {
    const { uses } = extract('pipelines.yaml');
    const generic = uses.filter((u) => u.source.generic);
    assert.deepEqual(generic.map((u) => [u.image, u.source.path, u.pullSecrets]), [
      ['reg.io/generic-prometheus:1', 'spec.image', ['prom-pull']],
      ['reg.io/generic-sidecar:1', 'spec.containers[0].image', ['prom-pull']],
    ]);
    assert.equal(uses.some((u) => u.image.includes('configmap')), false);
  });
});
