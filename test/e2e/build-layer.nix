# buildLayer fixtures (test/e2e/build-layer.test.ts): a runtime layer (busybox and libgreet), an
# app on it whose message is a parameter (changing it must not rebuild the runtime layer), a
# layer chained on the runtime one, and images using them; a zstd runtime layer in a zstd archive
# (its blob copied in as a frame) and the gz one in a zstd archive (compressed anew).
{ message ? "one", n ? import ../nix/host.nix { } }:
let
  s = n.standIns;
  inherit (n.pkgs) hostBuild busybox;
  prefix = "nix-strata-e2e";
in
rec {
  runtime = n.buildLayer { name = "bl-runtime"; deps = [ s.busybox s.libgreet ]; };
  # Another layer on the runtime one: hello and app-a (which also needs libgreet).
  apps = n.buildLayer { name = "bl-apps"; deps = [ s.hello s.app-a ]; layers = [ runtime ]; compressor = "zstd"; };

  app = hostBuild "bl-app" ''
    mkdir -p "$out/bin"
    printf '%s\n' '#!${busybox}/bin/sh' '. ${s.libgreet}/lib/greet.sh; greet bl-app-${message}' > "$out/bin/bl-app"
    chmod +x "$out/bin/bl-app"
  '';

  image = n.buildLayeredImage {
    name = "${prefix}/build-layer";
    tag = message;
    contents = [ app s.busybox ];
    layers = [ runtime ];
    config.Cmd = [ "bl-app" ];
  };

  # The runtime layer as a zstd blob, and images whose archive compression matches a given
  # layer's (zstd on zstd) or not (zstd on the gz runtime layer).
  runtimeZstd = n.buildLayer { name = "bl-runtime-zstd"; deps = [ s.busybox s.libgreet ]; compressor = "zstd"; };
  zstdImage = n.buildLayeredImage {
    name = "${prefix}/build-layer-zstd";
    tag = message;
    compressor = "zstd";
    contents = [ app s.busybox ];
    layers = [ runtimeZstd ];
    config.Cmd = [ "bl-app" ];
  };
  mismatchImage = n.buildLayeredImage {
    name = "${prefix}/build-layer-mismatch";
    tag = message;
    compressor = "zstd";
    contents = [ app s.busybox ];
    layers = [ runtime ];
    config.Cmd = [ "bl-app" ];
  };

  streamed = n.streamLayeredImage {
    name = "${prefix}/build-layer-stream";
    tag = "latest";
    contents = [ s.hello s.app-a s.busybox ];
    # Only the top of the chain: its parent comes along, below it.
    layers = [ apps ];
    config.Cmd = [ "app-a" ];
  };

  # copyToRoot: hello's tree at the root, its closure in the layer.
  rooted = n.buildLayer { name = "bl-rooted"; copyToRoot = [ s.hello ]; deps = [ s.busybox ]; };
  rootedImage = n.buildLayeredImage {
    name = "${prefix}/build-layer-rooted";
    tag = "latest";
    layers = [ rooted ];
    config.Cmd = [ "/bin/hello" ];
  };
}
