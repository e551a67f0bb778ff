# The distribution outputs every image result carries (issue 11): `oci` (an OCI image layout
# built in a derivation), `push` / `copyToRegistry`, `copyToDockerDaemon` and `copyToPodman`
# (executables, like the stream). Thin: each is one builder call on the image's source, the
# conf (`--conf`) of a layered image or the archive (`--image`) of buildImage.
#
#   oci                 directory: oci-layout, index.json (ref.name = imageTag), blobs/sha256/…,
#                       and `digest` (the manifest digest and a newline) beside index.json; with
#                       `sbom`, its documents as artifacts referring to the image (`--sbom-dir`)
#   push DEST…          `nix-strata push` (with `--annotations` when given): uploads what DEST lacks; last stdout line = digest;
#                       `push --sbom DEST…` also attaches `sbom` as OCI referrers (`--sbom-dir` is baked in)
#   copyToDockerDaemon  `nix-strata load --engine docker`: streams into `docker load`
#   copyToPodman        `nix-strata load --engine podman`: streams into `podman load`
#
# `compressor` ("gz", "zstd" or "none") is the layers' compression in `oci` and `push`, so the
# digest in `oci`'s `digest` file is the one `push` gives.
{ pkgs, nix-strata, system, writeText }:
{ baseName
  # Builder arguments naming the image: [ "--conf" conf ] or [ "--image" archive ].
, source
, compressor ? "gz"
  # OCI manifest annotations (validated by the caller); passed only when non-empty, so images
  # without them keep their derivations.
, annotations ? { }
  # The image's passthru.sbom (nix/sbom.nix), stored in `oci` and offered to `push --sbom`.
, sbom ? null
}:
let
  # The executables run the packaged CLI, whose PATH already has zstd (nix/package.nix).
  program = name: command: writeText {
    name = "${name}-${baseName}";
    executable = true;
    text = ''
      #!${pkgs.bash}/bin/bash
      exec ${nix-strata}/bin/nix-strata ${builtins.concatStringsSep " " command} "$@"
    '';
  };
  annotationArgs = if annotations == { } then [ ] else [ "--annotations" (builtins.toJSON annotations) ];
  # Single-quoted for the shell script (the JSON has spaces and quotes).
  quote = s: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] s + "'";
  sbomArgs = if sbom == null then [ ] else [ "--sbom-dir" "${sbom}" ];
  push = program "push" ([ "push" ] ++ source ++ [ "--compressor" compressor ] ++ sbomArgs ++ map quote annotationArgs);
in
{
  oci = derivation {
    name = "${baseName}-oci";
    inherit system;
    builder = "${nix-strata}/bin/nix-strata";
    args = [ "stream" "-q" ] ++ source ++ [ "--format" "oci" "--compressor" compressor "--output" (builtins.placeholder "out") ] ++ sbomArgs ++ annotationArgs;
    # zstd layers, and decompressors for a base's layers; PATH is otherwise empty in a build.
    PATH = "${pkgs.pigz}/bin:${pkgs.zstd}/bin";
  };
  inherit push;
  # nix2container's name.
  copyToRegistry = push;
  copyToDockerDaemon = program "copy-to-docker-daemon" ([ "load" "--engine" "docker" ] ++ source);
  copyToPodman = program "copy-to-podman" ([ "load" "--engine" "podman" ] ++ source);
}
