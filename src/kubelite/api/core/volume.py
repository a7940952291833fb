"""Schemas of pod volumes and their sources, and of PersistentVolumeClaim
(used inline by ephemeral volumes and by StatefulSet claim templates).

The common sources are declared field by field; the in-tree cloud and
network storage plugins Kubernetes deprecated (awsElasticBlockStore, rbd,
...) are accepted as free-form objects.
"""

from __future__ import annotations

from kubelite.api.core.common import CORE, core_ref, refs
from kubelite.api.meta import (
    LABEL_SELECTOR,
    OBJECT_META,
    QUANTITY,
    TIME,
    quantities,
    string_map,
    strings,
    top_level,
)
from kubelite.api.schema import (
    Schema,
    boolean,
    define,
    free_form,
    integer,
    map_of,
    obj,
    ref,
    string,
)

VOLUME = CORE + "Volume"
PERSISTENT_VOLUME_CLAIM = CORE + "PersistentVolumeClaim"

# Volume sources that hold files projected from API objects.
PROJECTING_SOURCES = ("configMap", "secret", "downwardAPI", "projected")


def _mode(what: str = "files") -> Schema:
    return integer(f"Permission bits of the {what}, 0 to 0777 (YAML accepts octal); "
                   "0644 by default.")


def _user() -> Schema:
    return integer("Owner UID of the files.", format="int64")


define(CORE + "KeyToPath", obj(
    "Puts one key at a path of the volume.",
    {
        "key": string("The key to project."),
        "path": string("Relative path of the file; may not contain '..'."),
        "mode": integer("Permission bits of this file."),
        "user": _user(),
    },
    required=("key", "path"),
))

define(CORE + "ConfigMapVolumeSource", obj(
    "A ConfigMap's keys as files.",
    {
        "name": string("Name of the ConfigMap."),
        "items": refs("KeyToPath", "Keys to project; all keys by default."),
        "defaultMode": _mode(),
        "defaultUser": _user(),
        "optional": boolean("Whether the ConfigMap or its keys may be missing."),
    },
))

define(CORE + "SecretVolumeSource", obj(
    "A Secret's keys as files.",
    {
        "secretName": string("Name of the Secret."),
        "items": refs("KeyToPath", "Keys to project; all keys by default."),
        "defaultMode": _mode(),
        "defaultUser": _user(),
        "optional": boolean("Whether the Secret or its keys may be missing."),
    },
))

define(CORE + "DownwardAPIVolumeFile", obj(
    "A file holding a field of the pod or a resource of a container.",
    {
        "path": string("Relative path of the file."),
        "fieldRef": core_ref("ObjectFieldSelector", "A field of the pod."),
        "resourceFieldRef": core_ref("ResourceFieldSelector", "A resource of a "
                                                              "container."),
        "mode": integer("Permission bits of this file."),
        "user": _user(),
    },
    required=("path",),
))

define(CORE + "DownwardAPIVolumeSource", obj(
    "Files holding information about the pod.",
    {
        "items": refs("DownwardAPIVolumeFile", "The files."),
        "defaultMode": _mode(),
        "defaultUser": _user(),
    },
))

define(CORE + "ConfigMapProjection", obj(
    "A ConfigMap's keys inside a projected volume.",
    {
        "name": string("Name of the ConfigMap."),
        "items": refs("KeyToPath", "Keys to project; all keys by default."),
        "optional": boolean("Whether the ConfigMap or its keys may be missing."),
    },
))

define(CORE + "SecretProjection", obj(
    "A Secret's keys inside a projected volume.",
    {
        "name": string("Name of the Secret."),
        "items": refs("KeyToPath", "Keys to project; all keys by default."),
        "optional": boolean("Whether the Secret or its keys may be missing."),
    },
))

define(CORE + "DownwardAPIProjection", obj(
    "Pod information inside a projected volume.",
    {"items": refs("DownwardAPIVolumeFile", "The files.")},
))

define(CORE + "ServiceAccountTokenProjection", obj(
    "A token of the pod's service account, refreshed before it expires.",
    {
        "path": string("Relative path of the token file."),
        "audience": string("Intended audience of the token; the API server by "
                           "default."),
        "expirationSeconds": integer("Requested lifetime; 3600 by default, at least "
                                     "600.", format="int64"),
        "user": _user(),
    },
    required=("path",),
))

define(CORE + "ClusterTrustBundleProjection", obj(
    "Certificates from ClusterTrustBundle objects, in one PEM file.",
    {
        "name": string("A bundle by name."),
        "signerName": string("Bundles of this signer (with labelSelector)."),
        "labelSelector": ref(LABEL_SELECTOR, "Bundles with these labels."),
        "optional": boolean("Whether no matching bundle is tolerated."),
        "path": string("Relative path of the file."),
        "user": _user(),
    },
    required=("path",),
))

define(CORE + "PodCertificateProjection", obj(
    "A key and a certificate issued to the pod, refreshed before they expire.",
    {
        "signerName": string("Signer to request the certificate from."),
        "keyType": string("Kind of key to generate, e.g. ED25519."),
        "maxExpirationSeconds": integer("Longest lifetime wanted."),
        "credentialBundlePath": string("File holding key and chain together."),
        "keyPath": string("File holding the key."),
        "certificateChainPath": string("File holding the chain."),
        "userAnnotations": string_map("Annotations passed to the signer."),
        "user": _user(),
    },
    required=("signerName", "keyType"),
))

define(CORE + "VolumeProjection", obj(
    "One source of a projected volume; exactly one field.",
    {
        "configMap": core_ref("ConfigMapProjection", "Keys of a ConfigMap."),
        "secret": core_ref("SecretProjection", "Keys of a Secret."),
        "downwardAPI": core_ref("DownwardAPIProjection", "Information about the pod."),
        "serviceAccountToken": core_ref("ServiceAccountTokenProjection",
                                        "A service account token."),
        "clusterTrustBundle": core_ref("ClusterTrustBundleProjection",
                                       "Trusted certificates."),
        "podCertificate": core_ref("PodCertificateProjection", "A pod certificate."),
    },
))

define(CORE + "ProjectedVolumeSource", obj(
    "Several sources merged into one directory.",
    {
        "sources": refs("VolumeProjection", "The sources."),
        "defaultMode": _mode(),
        "defaultUser": _user(),
    },
))

define(CORE + "EmptyDirVolumeSource", obj(
    "A directory that starts empty and lives as long as the pod.",
    {
        "medium": string("Storage medium: empty for the node's disk, Memory for tmpfs."),
        "sizeLimit": ref(QUANTITY,
                         "Most the volume may hold."),
        "mode": integer("Permission bits of the directory."),
    },
))

define(CORE + "HostPathVolumeSource", obj(
    "A file or directory of the node.",
    {
        "path": string("Path on the node."),
        "type": string("What must be at the path: \"\" (no check), DirectoryOrCreate, "
                       "Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice."),
    },
    required=("path",),
))

define(CORE + "PersistentVolumeClaimVolumeSource", obj(
    "The volume bound to a PersistentVolumeClaim of the namespace.",
    {
        "claimName": string("Name of the claim."),
        "readOnly": boolean("Mount read-only."),
    },
    required=("claimName",),
))

define(CORE + "NFSVolumeSource", obj(
    "An NFS export.",
    {
        "server": string("Host name or address of the NFS server."),
        "path": string("Exported path."),
        "readOnly": boolean("Mount read-only."),
    },
    required=("server", "path"),
))

define(CORE + "CSIVolumeSource", obj(
    "An inline volume provided by a CSI driver.",
    {
        "driver": string("Name of the CSI driver."),
        "readOnly": boolean("Mount read-only."),
        "fsType": string("Filesystem type, e.g. ext4."),
        "volumeAttributes": string_map("Driver-specific settings."),
        "nodePublishSecretRef": core_ref("LocalObjectReference", "Secret passed to the "
                                                                 "driver."),
    },
    required=("driver",),
))

define(CORE + "GitRepoVolumeSource", obj(
    "Deprecated: a git repository cloned into an empty directory.",
    {
        "repository": string("Repository URL."),
        "revision": string("Commit to check out."),
        "directory": string("Target directory name; '.' for the volume root."),
    },
    required=("repository",),
))

define(CORE + "ImageVolumeSource", obj(
    "The contents of an OCI image or artifact, read-only.",
    {
        "reference": string("Image reference."),
        "pullPolicy": string("Always, Never or IfNotPresent."),
    },
))

define(CORE + "PersistentVolumeClaimSpec", obj(
    "The storage a claim asks for.",
    {
        "accessModes": strings("ReadWriteOnce, ReadOnlyMany, ReadWriteMany, "
                               "ReadWriteOncePod."),
        "selector": ref(LABEL_SELECTOR, "Volumes the claim may bind to."),
        "resources": core_ref("VolumeResourceRequirements", "Storage size wanted."),
        "volumeName": string("Bind to this PersistentVolume."),
        "storageClassName": string("Storage class to provision from."),
        "volumeMode": string("Filesystem or Block; Filesystem by default."),
        "dataSource": core_ref("TypedLocalObjectReference", "Populate from this "
                                                            "snapshot or claim."),
        "dataSourceRef": core_ref("TypedObjectReference", "Populate from this object."),
        "volumeAttributesClassName": string("VolumeAttributesClass to use."),
    },
))

define(CORE + "PersistentVolumeClaimCondition", obj(
    "One aspect of a claim's state.",
    {
        "type": string("Condition type, e.g. Resizing."),
        "status": string("True, False or Unknown."),
        "lastProbeTime": ref(TIME, "When last checked."),
        "lastTransitionTime": ref(TIME, "When status last changed."),
        "reason": string("CamelCase reason."),
        "message": string("Human-readable details."),
    },
    required=("type", "status"),
))

define(CORE + "ModifyVolumeStatus", obj(
    "Progress of changing a claim's volume attributes class.",
    {
        "targetVolumeAttributesClassName": string("Class being applied."),
        "status": string("Pending, InProgress or Infeasible."),
    },
    required=("status",),
))

define(CORE + "VolumeHealthCondition", obj(
    "One health condition of a volume.",
    {
        "status": string("True, False or Unknown."),
        "reason": string("CamelCase reason."),
        "message": string("Human-readable details."),
    },
))

define(CORE + "VolumeHealthStatus", obj(
    "Health of a volume.",
    {
        "healthConditions": refs("VolumeHealthCondition", "The conditions."),
        "lastTransitionTime": ref(TIME, "When health last changed."),
    },
))

define(CORE + "PersistentVolumeClaimStatus", obj(
    "What a claim is bound to.",
    {
        "phase": string("Pending, Bound or Lost."),
        "accessModes": strings("Access modes of the bound volume."),
        "capacity": quantities("Size of the bound volume."),
        "conditions": refs("PersistentVolumeClaimCondition", "Current conditions.",
                           merge_key="type", strategy="merge", list_type="map",
                           map_keys=("type",)),
        "allocatedResources": quantities("Storage allocated, while resizing."),
        "allocatedResourceStatuses": map_of(string(), "Resize state per resource."),
        "currentVolumeAttributesClassName": string("Volume attributes class in use."),
        "modifyVolumeStatus": core_ref("ModifyVolumeStatus", "Attributes change in "
                                                             "progress."),
        "healthStatus": core_ref("VolumeHealthStatus", "Health of the volume."),
    },
))

define(PERSISTENT_VOLUME_CLAIM, top_level(
    "A request for storage by a user.",
    {
        "spec": core_ref("PersistentVolumeClaimSpec", "The storage wanted."),
        "status": core_ref("PersistentVolumeClaimStatus", "What it is bound to."),
    },
), gvk=("", "v1", "PersistentVolumeClaim"))

define(CORE + "PersistentVolumeClaimTemplate", obj(
    "The claim an ephemeral volume creates for its pod.",
    {
        "metadata": ref(OBJECT_META, "Labels and annotations for the claim."),
        "spec": core_ref("PersistentVolumeClaimSpec", "The storage wanted."),
    },
    required=("spec",),
))

define(CORE + "EphemeralVolumeSource", obj(
    "A volume from a claim created with the pod and deleted with it.",
    {"volumeClaimTemplate": core_ref("PersistentVolumeClaimTemplate", "The claim "
                                                                      "to create.")},
))

_LEGACY_SOURCES = (
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc",
    "flexVolume", "flocker", "gcePersistentDisk", "glusterfs", "iscsi",
    "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos",
    "vsphereVolume",
)

_volume = define(VOLUME, obj(
    "A named volume of the pod; exactly one source.",
    {
        "name": string("Name of the volume, a DNS label unique within the pod."),
        "emptyDir": core_ref("EmptyDirVolumeSource", "A fresh empty directory."),
        "hostPath": core_ref("HostPathVolumeSource", "A path of the node."),
        "configMap": core_ref("ConfigMapVolumeSource", "Keys of a ConfigMap."),
        "secret": core_ref("SecretVolumeSource", "Keys of a Secret."),
        "downwardAPI": core_ref("DownwardAPIVolumeSource", "Information about the pod."),
        "projected": core_ref("ProjectedVolumeSource", "Several sources together."),
        "persistentVolumeClaim": core_ref("PersistentVolumeClaimVolumeSource",
                                          "A claimed persistent volume."),
        "ephemeral": core_ref("EphemeralVolumeSource", "A claim made for this pod."),
        "csi": core_ref("CSIVolumeSource", "An inline CSI volume."),
        "nfs": core_ref("NFSVolumeSource", "An NFS export."),
        "image": core_ref("ImageVolumeSource", "An OCI image's contents."),
        "gitRepo": core_ref("GitRepoVolumeSource", "Deprecated: a cloned repository."),
        **{name: free_form("A deprecated in-tree storage plugin; kept as given.")
           for name in _LEGACY_SOURCES},
    },
    required=("name",),
))

# Fields of a Volume that name its source.
VOLUME_SOURCES = tuple(k for k in _volume["properties"] if k != "name")
