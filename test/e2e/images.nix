# The images the end-to-end tests build, load and run, one attribute per acceptance fixture
# (names follow ../shared/spec/acceptance.md's upstream labels). Built through
# test/nix/host.nix, i.e. the real nix/default.nix wired to this machine's tools.
# `nix-build test/e2e/images.nix -A layered-image` builds one; the harness builds several at once.
{ nixStrata ? import ../nix/host.nix { } }:
let
  inherit (nixStrata) streamLayeredImage buildLayeredImage buildLayeredImageWithNixDb fakeNss;
  s = nixStrata.standIns;
  prefix = "nix-strata-e2e";
in
rec {
  # A10 / A13: a basic layered image whose extraCommands writes a file at the root.
  layered-image = buildLayeredImage {
    name = "${prefix}/layered-image";
    tag = "latest";
    contents = [ s.hello s.busybox s.cat-somefile ];
    config.Cmd = [ "hello" ];
    extraCommands = ''
      echo "extraCommands was here" > extraCommands
      mkdir -p tmp
    '';
  };

  # A13: the same store paths, another Cmd: the store layers must be shared.
  another-layered-image = buildLayeredImage {
    name = "${prefix}/another-layered-image";
    tag = "latest";
    contents = [ s.hello s.busybox s.cat-somefile ];
    config.Cmd = [ "/bin/hello" ];
  };

  # A12: a layered image on top of a layered image (gzip'd archive).
  layered-on-top-layered = buildLayeredImage {
    name = "${prefix}/layered-on-top-layered";
    tag = "latest";
    fromImage = layered-image;
    contents = [ s.app-a ];
    config.Cmd = [ "app-a" ];
  };

  # A27: a local directory (a path literal) works as a contents element.
  layered-image-with-path = buildLayeredImage {
    name = "${prefix}/layered-image-with-path";
    tag = "latest";
    contents = [ s.busybox ./test-dummy ];
  };

  # A19: tools run at build time stay out; only what the layer mentions is stored. The copied
  # busybox does not mention its store path, so here no store path is left at all.
  only-minimal-paths = buildLayeredImage {
    name = "${prefix}/only-minimal-paths";
    tag = "latest";
    extraCommands = ''
      cp -r ${s.busybox}/bin .
      ${s.hello}/bin/hello > /dev/null
    '';
  };

  # A16 / A17: two layers are enough, and the single bulk layer keeps every store path.
  bulk-layer = buildLayeredImage {
    name = "${prefix}/bulk-layer";
    tag = "latest";
    contents = [ s.hello s.busybox s.app-a s.app-b ];
    maxLayers = 2;
    config.Cmd = [ "hello" ];
  };

  # A18: a 2-layer base with maxLayers = 4 gives exactly 2 + 1 + 1 layers.
  layered-bulk-layer = buildLayeredImage {
    name = "${prefix}/layered-bulk-layer";
    tag = "latest";
    fromImage = bulk-layer;
    contents = [ s.busybox s.app-b s.hello ];
    maxLayers = 4;
    config.Cmd = [ "app-b" ];
  };

  # A14 / A15: Env is inherited from the base and merged (last value wins, one entry each).
  environment-parent = buildLayeredImage {
    name = "${prefix}/environment-parent";
    tag = "latest";
    contents = [ s.busybox ];
    config.Env = [ "FROM_PARENT=true" "LAST_LAYER=parent" ];
  };
  environmentVariablesLayered = buildLayeredImage {
    name = "${prefix}/environment-variables-layered";
    tag = "latest";
    fromImage = environment-parent;
    contents = [ s.busybox ];
    config.Env = [ "FROM_CHILD=true" "LAST_LAYER=child" ];
    config.Cmd = [ "env" ];
  };

  # A9: created = "now" (stream), against the default date of layered-image.
  unstableDateLayered = streamLayeredImage {
    name = "${prefix}/unstable-date";
    tag = "latest";
    contents = [ s.busybox ];
    created = "now";
  };

  # A28: architecture is written (not runnable here, only inspected).
  layered-image-with-architecture = buildLayeredImage {
    name = "${prefix}/layered-image-with-architecture";
    tag = "latest";
    contents = [ s.busybox ];
    architecture = "arm64";
  };

  # A22: a registry prefix in name survives.
  registry-prefixed = buildLayeredImage {
    name = "registry-1.docker.io/${prefix}-layered-image";
    tag = "latest";
    contents = [ s.hello ];
  };

  # A5: without a tag, the tag is imageTag (archive and stream).
  bashNoTagLayered = buildLayeredImage {
    name = "${prefix}/no-tag-layered";
    contents = [ s.busybox ];
  };
  bashNoTagStreamLayered = streamLayeredImage {
    name = "${prefix}/no-tag-stream-layered";
    contents = [ s.busybox ];
  };

  # A5 / A32: buildLayeredImageWithNixDb registers the closure of contents in a Nix database.
  nixLayered = buildLayeredImageWithNixDb {
    name = "${prefix}/nix-layered";
    tag = "latest";
    contents = [ s.hello s.busybox ];
  };

  # A6: every compressor loads.
  bashLayeredUncompressed = buildLayeredImage {
    name = "${prefix}/uncompressed";
    tag = "latest";
    contents = [ s.hello s.busybox ];
    compressor = "none";
  };
  bashLayeredZstdCompressed = buildLayeredImage {
    name = "${prefix}/zstd-compressed";
    tag = "latest";
    contents = [ s.hello s.busybox ];
    compressor = "zstd";
  };

  # A2 / A3 / A4: no store paths at all, plain and under the fake chroot.
  no-store-paths = streamLayeredImage {
    name = "${prefix}/no-store-paths";
    tag = "latest";
    contents = [ s.hello s.busybox ];
    includeStorePaths = false;
    config.Cmd = [ "hello" ];
  };
  no-store-paths-fakechroot = streamLayeredImage {
    name = "${prefix}/no-store-paths-fakechroot";
    tag = "latest";
    contents = [ s.hello s.busybox ];
    includeStorePaths = false;
    enableFakechroot = true;
    fakeRootCommands = "mkdir -p /etc && echo chrooted > /etc/marker";
    config.Cmd = [ "hello" ];
  };

  # A23 / A24: chown under fakeroot persists; a path mentioned only by fakeRootCommands output
  # reaches the image.
  layeredImageWithFakeRootCommands = buildLayeredImage {
    name = "${prefix}/layered-image-with-fake-root-commands";
    tag = "latest";
    contents = [ s.busybox ];
    fakeRootCommands = ''
      mkdir -p ./home/alice
      chown 1000 ./home/alice
      ln -s ${s.fakeRootHello} ./hello
    '';
  };

  # A chmod by the static busybox after a dynamic chown and chmod (fakeroot's record) is kept.
  staticChmodAfterRecord = streamLayeredImage {
    name = "${prefix}/static-chmod-after-record";
    tag = "latest";
    contents = [ s.busybox ];
    fakeRootCommands = let d = s.dynamicCoreutils; in ''
      echo kept > kept
      ${d}/bin/chown 1000:1000 kept
      ${d}/bin/chmod 0600 kept
      ${s.busybox}/bin/chmod 0640 kept
    '';
  };

  # A device fakeroot fakes, with the stand-ins' static busybox `stat` on the builder's PATH.
  deviceWithStaticStat = streamLayeredImage {
    name = "${prefix}/device-with-static-stat";
    tag = "latest";
    fakeRootCommands = "mkdir dev; ${s.dynamicCoreutils}/bin/mknod dev/null c 1 3";
  };

  # A26: under the fake chroot, `/` is the layer.
  imageViaFakeChroot = streamLayeredImage {
    name = "${prefix}/image-via-fake-chroot";
    tag = "latest";
    enableFakechroot = true;
    fakeRootCommands = ''
      mkdir /bin
      ln -s ${s.hello}/bin/hello /bin/hello
    '';
    config.Cmd = [ "hello" ];
  };

  # A29 / A30: chrooted commands populate /etc, and chown under the fake chroot persists.
  chownTestImage = streamLayeredImage {
    name = "${prefix}/chown-test-image";
    tag = "latest";
    contents = [ s.busybox ];
    enableFakechroot = true;
    fakeRootCommands = ''
      mkdir -p /etc
      echo localhost > /etc/some-config-file
      touch /testfile
      ${s.dynamicCoreutils}/bin/chown 12345:12345 /testfile
    '';
    config.Cmd = [ "stat" "-c" "%u:%g" "/testfile" ];
  };

  # A31: uid/gid/uname/gname own every store-layer entry.
  nonRootTestImage = streamLayeredImage {
    name = "${prefix}/non-root-test-image";
    tag = "latest";
    contents = [
      s.busybox
      (fakeNss.override {
        extraPasswdLines = [ "user:x:1000:1000:user:/var/empty:/bin/sh" ];
        extraGroupLines = [ "user:x:1000:" ];
      })
    ];
    uid = 1000;
    gid = 1000;
    uname = "user";
    gname = "user";
    config.User = "user";
    config.Cmd = [ "stat" "-c" "%u:%g" "${s.busybox}/bin/busybox" ];
  };

  # A21: a store path that is itself a symlink stays a symlink.
  layeredStoreSymlink = buildLayeredImage {
    name = "${prefix}/layered-store-symlink";
    tag = "latest";
    contents = [ s.busybox s.storeSymlink ];
    passthru = { inherit (s) storeSymlink; };
  };

  # Row 4 of api.md §8: 1 + base layers >= maxLayers fails the build (not the evaluation).
  too-few-layers = buildLayeredImage {
    name = "${prefix}/too-few-layers";
    fromImage = bulk-layer;
    contents = [ s.busybox ];
    maxLayers = 3;
  };
}
