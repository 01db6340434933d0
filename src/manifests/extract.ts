// Finds every image a Kubernetes object will make a node pull, with the pull secrets
// and service account that go with it. Known kinds are read at their known paths
// (reference/argocd-cmp.md §6); any other kind is walked whole for `image` strings and
// reported as found by that generic walk. Nothing is skipped silently.

import type { Warning } from '../errors.js';
import { formatPath } from './strict.js';
import { isPlainObject, parseManifestStream, readYamlDocuments, valueAt, type ManifestObject, type PathSegment } from './document.js';

export interface ImageSource {
  file: string;
  line: number;
  kind: string;
  /** metadata.name; `prefix*` for a generateName; null when the object has neither. */
  name: string | null;
  namespace: string;
  /** Path of the image field inside the object (`spec.template.spec.containers[0].image`). */
  path: string;
  /** Found by the generic walk of a kind gate does not know. */
  generic: boolean;
  /** The enclosing object when this one is embedded (an OpenShift Template, an Argo resource template). */
  via?: string;
}

export interface ImageUse {
  /** The image string exactly as written; '' when a container has none. */
  image: string;
  namespace: string;
  source: ImageSource;
  /** `imagePullSecrets` names of the pod spec, in order. */
  pullSecrets: string[];
  /** The service account whose pull secrets apply when the pod spec names none (`default` when none is named). */
  serviceAccount: string;
  /** Set when the manifest alone shows this use cannot be verified, whatever the policy. */
  problem?: UseProblem;
}

export interface UseProblem {
  reason: 'INVALID_REFERENCE' | 'UNSUPPORTED';
  message: string;
  hint: string;
}

export interface Extraction {
  uses: ImageUse[];
  warnings: Warning[];
}

/** Kinds whose `image`-named keys are data, not images to pull. */
const NOT_WORKLOADS = new Set(['/ConfigMap', '/Secret', 'apiextensions.k8s.io/CustomResourceDefinition', 'portieris.cloud.ibm.com/ImagePolicy', 'portieris.cloud.ibm.com/ClusterImagePolicy']);

/** Where the PodSpecs of each built-in or well-known kind are (`*` = every list item). */
const POD_SPEC_PATHS: Record<string, string[]> = {
  '/Pod': ['spec'],
  '/ReplicationController': ['spec.template.spec'],
  '/PodTemplate': ['template.spec'],
  'apps/Deployment': ['spec.template.spec'],
  'apps/ReplicaSet': ['spec.template.spec'],
  'apps/StatefulSet': ['spec.template.spec'],
  'apps/DaemonSet': ['spec.template.spec'],
  'extensions/Deployment': ['spec.template.spec'],
  'extensions/ReplicaSet': ['spec.template.spec'],
  'extensions/DaemonSet': ['spec.template.spec'],
  'batch/Job': ['spec.template.spec'],
  'batch/CronJob': ['spec.jobTemplate.spec.template.spec'],
  'argoproj.io/Rollout': ['spec.template.spec'],
  'argoproj.io/AnalysisTemplate': ['spec.metrics.*.provider.job.spec.template.spec'],
  'argoproj.io/ClusterAnalysisTemplate': ['spec.metrics.*.provider.job.spec.template.spec'],
  'argoproj.io/AnalysisRun': ['spec.metrics.*.provider.job.spec.template.spec'],
  'serving.knative.dev/Service': ['spec.template.spec'],
  'serving.knative.dev/Configuration': ['spec.template.spec'],
  'serving.knative.dev/Revision': ['spec'],
  'keda.sh/ScaledJob': ['spec.jobTargetRef.template.spec'],
  'apps.openshift.io/DeploymentConfig': ['spec.template.spec'],
  '/DeploymentConfig': ['spec.template.spec'],
};

const WORKFLOW_SPEC_PATHS: Record<string, string> = {
  'argoproj.io/Workflow': 'spec',
  'argoproj.io/WorkflowTemplate': 'spec',
  'argoproj.io/ClusterWorkflowTemplate': 'spec',
  'argoproj.io/CronWorkflow': 'spec.workflowSpec',
};

/** Tekton: where inline TaskSpecs are, and where a run names its pod template and service account. */
const TEKTON_TASK_SPECS: Record<string, string[]> = {
  'tekton.dev/Task': ['spec'],
  'tekton.dev/ClusterTask': ['spec'],
  'tekton.dev/TaskRun': ['spec.taskSpec'],
  'tekton.dev/Pipeline': ['spec.tasks.*.taskSpec', 'spec.finally.*.taskSpec'],
  'tekton.dev/PipelineRun': ['spec.pipelineSpec.tasks.*.taskSpec', 'spec.pipelineSpec.finally.*.taskSpec'],
};
const TEKTON_RUN_CONTEXT: Record<string, { podTemplate: string[]; serviceAccount: string[] }> = {
  'tekton.dev/TaskRun': { podTemplate: ['spec.podTemplate'], serviceAccount: ['spec.serviceAccountName'] },
  'tekton.dev/PipelineRun': {
    podTemplate: ['spec.taskRunTemplate.podTemplate', 'spec.podTemplate'],
    serviceAccount: ['spec.taskRunTemplate.serviceAccountName', 'spec.serviceAccountName'],
  },
};

const EMBEDDING_KINDS = new Set(['template.openshift.io/Template', '/Template']);

interface Context {
  object: ManifestObject;
  kind: string;
  name: string | null;
  namespace: string;
  /** Path of `object` inside the top-level object of the file, and how it is embedded. */
  prefix: string;
  via?: string;
  /** Paths of the `image` keys present (whatever their value) that known paths found. */
  imageKeysFound: Set<string>;
}

interface PodContext {
  pullSecrets: string[];
  serviceAccount: string;
}

export function extractImages(object: ManifestObject, defaultNamespace: string): Extraction {
  const out: Extraction = { uses: [], warnings: [] };
  extractInto(object, defaultNamespace, '', undefined, out);
  return out;
}

function extractInto(object: ManifestObject, defaultNamespace: string, prefix: string, via: string | undefined, out: Extraction): void {
  const value = object.value;
  const kind = String(value.kind);
  const key = `${apiGroup(value.apiVersion)}/${kind}`;
  const ctx: Context = { object, kind, name: objectName(value), namespace: stringAt(value, ['metadata', 'namespace']) ?? defaultNamespace, prefix, via, imageKeysFound: new Set() };

  if (NOT_WORKLOADS.has(key)) return;
  const before = out.uses.length;
  if (!extractKnown(ctx, key, out)) {
    scanGeneric(ctx, out);
    const found = out.uses.length - before;
    if (found > 0) {
      const api = typeof value.apiVersion === 'string' ? `${value.apiVersion} ` : '';
      out.warnings.push({ file: object.file, line: object.line, message: `${objectLabel(kind, ctx.name)}: gate has no rule for kind ${api}${kind}; ${found} image field(s) found by walking the whole object are checked` });
    }
    return;
  }
  // Embedding kinds hand each inner object to extractInto, which does its own walk.
  // Workflows pass image names around as loop items and parameters (withItems: [{image: debian}]),
  // which are not pulled as such; their known fields are read exhaustively instead.
  if (EMBEDDING_KINDS.has(key) || WORKFLOW_SPEC_PATHS[key]) return;
  // An image at a place the kind does not have (a typo such as spec.templates, a newer
  // field) is still checked: run the generic walk and keep what the known paths missed —
  // unless the parser counted no more `image` nodes in the document than the known
  // paths found `image` keys, so that no other `image` field can exist.
  if (object.imageScalars !== undefined && prefix === '' && ctx.imageKeysFound.size >= object.imageScalars) return;
  const known = new Set(out.uses.slice(before).map((u) => u.source.path));
  const extra: Extraction = { uses: [], warnings: [] };
  scanGeneric(ctx, extra);
  for (const use of extra.uses) {
    if (known.has(use.source.path)) continue;
    out.uses.push(use);
    out.warnings.push({ file: use.source.file, line: use.source.line, message: `${objectLabel(ctx.kind, ctx.name)} has an image at ${use.source.path}, outside the fields gate knows for this kind; it is checked anyway` });
  }
}

/** Extraction at the known paths of a known kind; false when gate does not know the kind. */
function extractKnown(ctx: Context, key: string, out: Extraction): boolean {
  const { object, prefix } = ctx;
  const value = object.value;
  const kind = ctx.kind;
  const podSpecPaths = POD_SPEC_PATHS[key];
  if (podSpecPaths) {
    const isDeploymentConfig = key.endsWith('/DeploymentConfig');
    const triggered = isDeploymentConfig ? imageChangeTriggers(value) : undefined;
    for (const pattern of podSpecPaths) {
      for (const { path, value: spec } of expand(value, pattern)) scanPodSpec(ctx, path, spec, out, triggered);
    }
    if (isDeploymentConfig) scanCustomStrategy(ctx, out);
    if (key === 'argoproj.io/Rollout' && valueAt(value, ['spec', 'template']) === undefined && valueAt(value, ['spec', 'workloadRef']) !== undefined) {
      const ref = stringAt(value, ['spec', 'workloadRef', 'name']) ?? '?';
      out.warnings.push({ file: object.file, line: object.line, message: `${objectLabel('Rollout', ctx.name)} takes its pod template from workloadRef ${stringAt(value, ['spec', 'workloadRef', 'kind']) ?? 'Deployment'}/${ref}; its images are checked where that object is in the input` });
    }
    return true;
  }
  const workflowSpec = WORKFLOW_SPEC_PATHS[key];
  if (workflowSpec) {
    scanWorkflowSpec(ctx, workflowSpec.split('.'), out);
    if (key === 'argoproj.io/Workflow') scanWorkflowStatus(ctx, out);
    return true;
  }
  const taskSpecs = TEKTON_TASK_SPECS[key];
  if (taskSpecs) {
    scanTekton(ctx, key, taskSpecs, out);
    return true;
  }
  if (EMBEDDING_KINDS.has(key)) {
    const objects = valueAt(value, ['objects']);
    if (Array.isArray(objects)) {
      objects.forEach((inner, i) => {
        if (!isPlainObject(inner)) return;
        const child: ManifestObject = { value: inner, file: object.file, line: object.lineOf(['objects', i]), lineOf: (p) => object.lineOf(['objects', i, ...p]) };
        extractInto(child, ctx.namespace, `${prefix}objects[${i}].`, objectLabel(kind, ctx.name), out);
      });
    }
    return true;
  }
  return false;
}

/** containers, initContainers, ephemeralContainers and image volumes of one PodSpec. */
function scanPodSpec(ctx: Context, specPath: PathSegment[], spec: unknown, out: Extraction, triggered?: Map<string, string>): void {
  if (!isPlainObject(spec)) return;
  const pod = podContext(spec);
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((container, i) => {
      if (!isPlainObject(container)) return;
      const trigger = typeof container.name === 'string' ? triggered?.get(container.name) : undefined;
      const problem: UseProblem | undefined = trigger
        ? {
            reason: 'UNSUPPORTED',
            message: `the image of this container is set at runtime by an ImageChange trigger (${trigger}); the manifest's value is a placeholder gate cannot verify`,
            hint: 'deploy a digest-pinned image instead of the trigger, or verify the image stream where its images are built and pushed',
          }
        : undefined;
      addUse(ctx, [...specPath, list, i, 'image'], container.image, pod, out, { problem });
    });
  }
  scanImageVolumes(ctx, specPath, spec.volumes, pod, out);
}

/** Image volumes (`volumes[].image.reference`) of a pod spec or an Argo template. */
function scanImageVolumes(ctx: Context, ownerPath: PathSegment[], volumes: unknown, pod: PodContext, out: Extraction): void {
  if (!Array.isArray(volumes)) return;
  volumes.forEach((volume, i) => {
    if (isPlainObject(volume) && isPlainObject(volume.image)) addUse(ctx, [...ownerPath, 'volumes', i, 'image', 'reference'], volume.image.reference, pod, out);
  });
}

function podContext(spec: Record<string, unknown>): PodContext {
  return {
    pullSecrets: secretNames(spec.imagePullSecrets),
    serviceAccount: nonEmpty(spec.serviceAccountName) ?? nonEmpty(spec.serviceAccount) ?? 'default',
  };
}

/** OpenShift: containers whose image an ImageChange trigger sets at runtime, by container name. */
function imageChangeTriggers(value: Record<string, unknown>): Map<string, string> {
  const triggered = new Map<string, string>();
  const triggers = valueAt(value, ['spec', 'triggers']);
  if (!Array.isArray(triggers)) return triggered;
  for (const trigger of triggers) {
    const params = isPlainObject(trigger) ? trigger.imageChangeParams : undefined;
    if (!isPlainObject(params) || !Array.isArray(params.containerNames)) continue;
    const from = isPlainObject(params.from) ? params.from : {};
    const what = `${String(from.kind ?? 'ImageStreamTag')} ${from.namespace ? `${String(from.namespace)}/` : ''}${String(from.name ?? '?')}`;
    for (const name of params.containerNames) if (typeof name === 'string') triggered.set(name, what);
  }
  return triggered;
}

/** OpenShift: the image of a Custom deployment strategy runs too. */
function scanCustomStrategy(ctx: Context, out: Extraction): void {
  const strategyImage = valueAt(ctx.object.value, ['spec', 'strategy', 'customParams', 'image']);
  if (strategyImage === undefined) return;
  const spec = valueAt(ctx.object.value, ['spec', 'template', 'spec']);
  addUse(ctx, ['spec', 'strategy', 'customParams', 'image'], strategyImage, isPlainObject(spec) ? podContext(spec) : noPod(), out);
}

/** Argo Workflows: every template's container, script, containerSet, initContainers and sidecars. */
/**
 * A workflow spec's templates and pod-level fields; `storedTemplates` instead: only those
 * templates, with the spec's pod context (pull secrets, service account, defaults).
 */
function scanWorkflowSpec(ctx: Context, specPath: string[], out: Extraction, storedTemplates?: Array<[PathSegment[], unknown]>): void {
  const spec = valueAt(ctx.object.value, specPath) ?? (storedTemplates ? {} : undefined);
  if (!isPlainObject(spec)) return;
  const workflowPod: PodContext = {
    pullSecrets: secretNames(spec.imagePullSecrets),
    serviceAccount: nonEmpty(spec.serviceAccountName) ?? 'default',
  };
  const defaults = isPlainObject(spec.templateDefaults) ? spec.templateDefaults : {};
  const scanTemplate = (templatePath: PathSegment[], template: unknown): void => {
    if (!isPlainObject(template)) return;
    const pod = { ...workflowPod, serviceAccount: nonEmpty(template.serviceAccountName) ?? workflowPod.serviceAccount };
    for (const single of ['container', 'script']) {
      const body = template[single];
      if (!isPlainObject(body)) continue;
      // templateDefaults can supply the image; it is checked where it is written.
      const inherited = isPlainObject(defaults[single]) && (defaults[single] as Record<string, unknown>).image !== undefined;
      if (body.image !== undefined || !inherited || template === defaults) addUse(ctx, [...templatePath, single, 'image'], body.image, pod, out);
    }
    for (const { path, value } of [
      ...expand(template, 'containerSet.containers.*'),
      ...expand(template, 'initContainers.*'),
      ...expand(template, 'sidecars.*'),
    ]) {
      if (isPlainObject(value)) addUse(ctx, [...templatePath, ...path, 'image'], value.image, pod, out);
    }
    scanImageVolumes(ctx, templatePath, template.volumes, pod, out);
    const manifest = isPlainObject(template.resource) ? template.resource.manifest : undefined;
    if (typeof manifest === 'string') scanEmbedded(ctx, [...templatePath, 'resource', 'manifest'], manifest, out);
    if (isPlainObject(template.resource) && template.resource.manifestFrom !== undefined) {
      // Fail closed: the object comes from an artifact when the workflow runs.
      addUse(ctx, [...templatePath, 'resource', 'manifestFrom'], '', pod, out, {
        problem: {
          reason: 'UNSUPPORTED',
          message: `${ctx.prefix}${formatPath([...templatePath, 'resource', 'manifestFrom'])} creates an object read from an artifact when the workflow runs: gate cannot check the images it holds`,
          hint: 'write the manifest inline (resource.manifest), where gate checks it',
        },
      });
    }
    if (typeof template.podSpecPatch === 'string') scanEmbedded(ctx, [...templatePath, 'podSpecPatch'], template.podSpecPatch, out, pod);
    // DAG tasks and steps may define their template inline.
    for (const { path, value } of [...expand(template, 'dag.tasks.*.inline'), ...expand(template, 'steps.*.*.inline')]) {
      scanTemplate([...templatePath, ...path], value);
    }
  };
  if (storedTemplates) {
    for (const [templatePath, template] of storedTemplates) scanTemplate(templatePath, template);
    return;
  }
  const templates = spec.templates;
  if (Array.isArray(templates)) templates.forEach((t, i) => scanTemplate([...specPath, 'templates', i], t));
  if (spec.templateDefaults !== undefined) scanTemplate([...specPath, 'templateDefaults'], spec.templateDefaults);
  if (typeof spec.podSpecPatch === 'string') scanEmbedded(ctx, [...specPath, 'podSpecPatch'], spec.podSpecPatch, out, workflowPod);
  // The pod that garbage-collects artifacts runs with the workflow's artifactGC.podSpecPatch.
  const gcPatch = isPlainObject(spec.artifactGC) ? spec.artifactGC.podSpecPatch : undefined;
  if (typeof gcPatch === 'string') scanEmbedded(ctx, [...specPath, 'artifactGC', 'podSpecPatch'], gcPatch, out, workflowPod);
  scanImageVolumes(ctx, specPath, spec.volumes, workflowPod, out);
}

/**
 * A Workflow's status as written in the manifest: the controller runs a stored
 * template spec it finds there instead of fetching the referenced one.
 */
function scanWorkflowStatus(ctx: Context, out: Extraction): void {
  const status = valueAt(ctx.object.value, ['status']);
  if (!isPlainObject(status)) return;
  if (isPlainObject(status.storedWorkflowTemplateSpec)) scanWorkflowSpec(ctx, ['status', 'storedWorkflowTemplateSpec'], out);
  if (isPlainObject(status.storedTemplates)) {
    const stored = status.storedTemplates;
    scanWorkflowSpec(ctx, ['spec'], out, Object.keys(stored).map((k) => [['status', 'storedTemplates', k], stored[k]]));
  }
}

/**
 * YAML held in a string: an Argo `resource.manifest` is a whole object (extracted like
 * any other); a `podSpecPatch` is a partial PodSpec (walked generically).
 */
function scanEmbedded(ctx: Context, path: PathSegment[], text: string, out: Extraction, patchOf?: PodContext): void {
  const where = `${ctx.prefix}${formatPath(path)}`;
  // A block scalar's text starts on the line after the one holding `|`.
  const options = { lineOffset: ctx.object.lineOf(path) };
  let objects: ManifestObject[];
  try {
    objects = patchOf
      ? readYamlDocuments(text, ctx.object.file, options).documents.flatMap((d) =>
          isPlainObject(d.value) ? [{ value: d.value, file: ctx.object.file, line: d.locate([]), lineOf: d.locate }] : [],
        )
      : parseManifestStream(text, ctx.object.file, options).objects;
  } catch (e) {
    // Fail closed: what cannot be read may hold an image (Argo fills in {{…}} parameters first).
    addUse(ctx, path, '', patchOf ?? noPod(), out, {
      problem: {
        reason: 'UNSUPPORTED',
        message: `${where} is not YAML gate can read (${e instanceof Error ? e.message : String(e)}), so the images it creates cannot be checked`,
        hint: 'quote {{…}} parameters inside the embedded manifest so that it stays valid YAML, or check the rendered object',
      },
    });
    return;
  }
  for (const object of objects) {
    if (patchOf) {
      scanGeneric({ ...ctx, object, prefix: `${where}#`, via: objectLabel(ctx.kind, ctx.name) }, out, patchOf);
    } else {
      extractInto(object, ctx.namespace, `${where}#`, objectLabel(ctx.kind, ctx.name), out);
    }
  }
}

function scanTekton(ctx: Context, key: string, taskSpecPatterns: string[], out: Extraction): void {
  const value = ctx.object.value;
  const run = TEKTON_RUN_CONTEXT[key];
  const podTemplate = run?.podTemplate.map((p) => valueAt(value, p.split('.'))).find(isPlainObject);
  const pod: PodContext = {
    pullSecrets: secretNames(podTemplate?.imagePullSecrets),
    serviceAccount: run?.serviceAccount.map((p) => nonEmpty(valueAt(value, p.split('.')))).find((s) => s !== undefined) ?? 'default',
  };
  for (const pattern of taskSpecPatterns) {
    for (const { path, value: taskSpec } of expand(value, pattern)) {
      if (!isPlainObject(taskSpec)) continue;
      const templateImage = isPlainObject(taskSpec.stepTemplate) ? taskSpec.stepTemplate.image : undefined;
      for (const item of expand(taskSpec, 'steps.*')) {
        // A step without an image runs stepTemplate's, which is checked on its own.
        if (isPlainObject(item.value) && (item.value.image !== undefined || templateImage === undefined)) {
          addUse(ctx, [...path, ...item.path, 'image'], item.value.image, pod, out);
        }
      }
      for (const item of expand(taskSpec, 'sidecars.*')) {
        if (isPlainObject(item.value)) addUse(ctx, [...path, ...item.path, 'image'], item.value.image, pod, out);
      }
      if (isPlainObject(taskSpec.stepTemplate) && taskSpec.stepTemplate.image !== undefined) {
        addUse(ctx, [...path, 'stepTemplate', 'image'], taskSpec.stepTemplate.image, pod, out);
      }
    }
  }
}

/** Every string-valued `image` key outside metadata; pull secrets from the nearest enclosing object that names some. */
function scanGeneric(ctx: Context, out: Extraction, base: PodContext = noPod()): void {
  // One path array, extended and shortened as the walk goes (this runs over every node of every object).
  const path: PathSegment[] = [];
  const visit = (value: unknown, pod: PodContext): void => {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        visit(value[i], pod);
        path.pop();
      }
      return;
    }
    if (!isPlainObject(value)) return;
    const here: PodContext =
      value.imagePullSecrets === undefined && value.serviceAccountName === undefined
        ? pod
        : {
            pullSecrets: value.imagePullSecrets !== undefined ? secretNames(value.imagePullSecrets) : pod.pullSecrets,
            serviceAccount: nonEmpty(value.serviceAccountName) ?? pod.serviceAccount,
          };
    for (const key in value) {
      if (path.length === 0 && key === 'metadata') continue;
      const child = value[key];
      if (key === 'image' && typeof child === 'string') addUse(ctx, [...path, key], child, here, out, { generic: true });
      else if (typeof child === 'object' && child !== null) {
        path.push(key);
        visit(child, here);
        path.pop();
      }
    }
  };
  visit(ctx.object.value, base);
}

function addUse(ctx: Context, path: PathSegment[], image: unknown, pod: PodContext, out: Extraction, options: { problem?: UseProblem; generic?: boolean } = {}): void {
  let text: string;
  let problem = options.problem;
  if (typeof image === 'string') {
    text = image;
  } else if (image === undefined || image === null) {
    text = '';
  } else {
    // Kubernetes refuses a non-string image; in a YAML template it is usually an unrendered {{ … }}.
    text = JSON.stringify(image) ?? String(image);
    problem ??= {
      reason: 'INVALID_REFERENCE',
      message: `the image field holds ${Array.isArray(image) ? 'a list' : typeof image === 'object' ? 'a mapping' : `a ${typeof image}`}, not a string`,
      hint: isPlainObject(image) ? 'an unquoted {{ … }} template reads as a mapping: check the rendered manifests (helm template, kustomize build) instead' : 'quote the image value',
    };
  }
  if (!problem && text.trim() === '') {
    problem = { reason: 'INVALID_REFERENCE', message: 'the container has no image', hint: 'set the image (registry/repository@sha256:<digest> or registry/repository:tag)' };
  }
  const where = ctx.prefix + formatPath(path);
  if (image !== undefined && path[path.length - 1] === 'image') ctx.imageKeysFound.add(where);
  out.uses.push({
    image: text,
    namespace: ctx.namespace,
    source: {
      file: ctx.object.file,
      line: ctx.object.lineOf(path),
      kind: ctx.kind,
      name: ctx.name,
      namespace: ctx.namespace,
      path: where,
      generic: options.generic === true,
      ...(ctx.via ? { via: ctx.via } : {}),
    },
    pullSecrets: pod.pullSecrets,
    serviceAccount: pod.serviceAccount,
    ...(problem ? { problem } : {}),
  });
}

/** All values matching a dotted pattern where `*` stands for every item of a list. */
export function expand(value: unknown, pattern: string): Array<{ path: PathSegment[]; value: unknown }> {
  let current: Array<{ path: PathSegment[]; value: unknown }> = [{ path: [], value }];
  for (const segment of pattern.split('.')) {
    const next: typeof current = [];
    for (const { path, value: v } of current) {
      if (segment === '*') {
        if (Array.isArray(v)) v.forEach((item, i) => next.push({ path: [...path, i], value: item }));
      } else if (isPlainObject(v) && v[segment] !== undefined && v[segment] !== null) {
        next.push({ path: [...path, segment], value: v[segment] });
      }
    }
    current = next;
  }
  return current;
}

function apiGroup(apiVersion: unknown): string {
  if (typeof apiVersion !== 'string') return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `Kind/name` for messages. */
export function objectLabel(kind: string, name: string | null): string {
  return `${kind}/${name ?? '(unnamed)'}`;
}

function objectName(value: Record<string, unknown>): string | null {
  const generateName = stringAt(value, ['metadata', 'generateName']);
  return stringAt(value, ['metadata', 'name']) ?? (generateName ? `${generateName}*` : null);
}

function stringAt(value: unknown, path: PathSegment[]): string | undefined {
  return nonEmpty(valueAt(value, path));
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `imagePullSecrets: [{name: a}, …]` (and bare strings, which some CRDs use). */
export function secretNames(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((s) => (isPlainObject(s) ? nonEmpty(s.name) : nonEmpty(s))).filter((s): s is string => s !== undefined);
}

function noPod(): PodContext {
  return { pullSecrets: [], serviceAccount: 'default' };
}
