# Example images, written exactly as for nixpkgs' dockerTools: the flake applies nix-strata's
# overlay, so `pkgs.dockerTools.buildLayeredImage` here is nix-strata's.
#   nix build .#hello && docker load < result && docker run --rm hello:latest
#   nix run .#hello-stream | docker load   (or .#hello, .#hello.stream: see flake.nix)
{ pkgs }:
let
  inherit (pkgs) dockerTools;
in
{
  # The classic: hello at /bin/hello.
  hello = dockerTools.buildLayeredImage {
    name = "hello";
    tag = "latest";
    contents = [ pkgs.hello ];
    config.Cmd = [ "/bin/hello" ];
  };

  # A busybox shell with /etc/passwd and /etc/group, a home owned by a non-root user and a
  # non-root user running it.
  busybox-shell = dockerTools.buildLayeredImage {
    name = "busybox-shell";
    tag = "latest";
    contents = [
      pkgs.busybox
      (dockerTools.fakeNss.override {
        extraPasswdLines = [ "user:x:1000:1000:user:/home/user:/bin/sh" ];
        extraGroupLines = [ "user:x:1000:" ];
      })
    ];
    extraCommands = "mkdir -p tmp home/user && chmod 1777 tmp";
    fakeRootCommands = "chown 1000:1000 home/user";
    config = {
      Cmd = [ "/bin/sh" ];
      User = "user";
      WorkingDir = "/home/user";
    };
  };
}
