# buildImageIndex (issue 12): an OCI image index over images built for different platforms.
# Thin: one builder call over the images' `oci` outputs (`nix-strata image-index`), which reads
# each platform from the image's config and refuses two images of one platform, or one without
# an architecture, naming them; `push` is `nix-strata push-index` on that layout.
#
#   result / oci   directory: an OCI layout whose index.json names the index (ref.name =
#                  imageTag), every image's blobs, and `digest` (the index digest)
#   push DEST…     pushes every image's manifest by digest, then the index under DEST's tag
#   imageTag       `tag`, or the hash part of the layout's output path
{ pkgs, nix-strata, system, writeText, lowerAscii }:
{ # Repository of the index reference (lower-cased).
  name
, tag ? null
  # Image results (streamLayeredImage, buildLayeredImage, buildImage), one per platform.
, images
  # Annotations of the index itself (an attribute set of strings).
, annotations ? { }
  # buildLayer results added to every image's `layers` (through its `.override`): one per
  # platform's closure, typically (layered images only).
, layers ? [ ]
}:
let
  check = import ./validate.nix;
  inherit (builtins) all isAttrs isList length map storeDir stringLength substring;
  imageName = lowerAscii name;
  baseName = baseNameOf (check.name (b: "${b}-index-oci") name imageName);
  withLayers = image:
    if layers == [ ] then image
    else if !(image ? conf || image ? stream) || !(image ? override) then
      throw "in image index ${name}: layers apply to streamLayeredImage and buildLayeredImage results, but ${imageRef image} is not one (a buildImage has no store layers); give it its layers itself or leave it out"
    else image.override (old: { layers = (old.layers or [ ]) ++ layers; });
  listedImages =
    if isList images && length images > 0 && all (image: isAttrs image && image ? oci) images then images
    else throw "in image index ${name}: images must be a non-empty list of image results (streamLayeredImage, buildLayeredImage or buildImage), each with an `oci` output";
  checkedImages = map withLayers (builtins.seq (check.layers "index ${name}" layers) listedImages);
  # Two images of one platform, known at evaluation from the builders' `platform` passthru (the
  # builder checks again, from the configs, for images without it).
  platformKey = p: "${p.os}/${p.architecture}${if p.variant == null then "" else "/${p.variant}"}";
  imageRef = image: "${image.imageName or "?"}:${image.imageTag or "?"}";
  noDuplicates = builtins.foldl' (seen: image:
    if !(image ? platform) then seen
    else let key = platformKey image.platform; in
      if seen ? ${key} then throw "in image index ${name}: images ${seen.${key}} and ${imageRef image} are both ${key}; give each platform once (set architecture/variant of one of them)"
      else seen // { ${key} = imageRef image; }) { } checkedImages;
  checkedTag = builtins.seq noDuplicates (check.tag name tag);
  checkedAnnotations = check.annotations name annotations;

  oci = derivation {
    name = "${baseName}-index-oci";
    inherit system;
    builder = "${nix-strata}/bin/nix-strata";
    args = [ "image-index" "-q" "--name" imageName "--output" (builtins.placeholder "out") ]
      ++ (if checkedTag == null then [ ] else [ "--tag" checkedTag ])
      ++ (if checkedAnnotations == { } then [ ] else [ "--annotations" (builtins.toJSON checkedAnnotations) ])
      ++ map (image: "${image.oci}") checkedImages;
  };

  push = writeText {
    name = "push-${baseName}-index";
    executable = true;
    text = ''
      #!${pkgs.bash}/bin/bash
      exec ${nix-strata}/bin/nix-strata push-index --layout ${oci} "$@"
    '';
  };
in
oci // {
  inherit imageName oci push;
  copyToRegistry = push;
  imageTag = if checkedTag != null then checkedTag
    else substring (stringLength storeDir + 1) 32 (builtins.unsafeDiscardStringContext oci.outPath);
}
