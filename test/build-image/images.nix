# Fixtures of the buildImage / exportImage end-to-end tests, through test/nix/host.nix (the
# real nix/default.nix wired to this machine's tools and stand-in packages).
# `nix-build test/build-image/images.nix -A on-layered` builds one.
{ nixStrata ? import ../nix/host.nix { } }:
let
  inherit (nixStrata) buildImage buildLayeredImage exportImage shadowSetup;
  s = nixStrata.standIns;
  prefix = "nix-strata-e2e";
in
rec {
  # A layered base: hello and busybox, Env with a PATH.
  layered-base = buildLayeredImage {
    name = "${prefix}/bi-layered-base";
    tag = "latest";
    contents = [ s.hello s.busybox ];
    config.Env = [ "PATH=/bin" "FROM_BASE=yes" ];
    config.Cmd = [ "hello" ];
    extraCommands = "mkdir -p tmp etc; echo base > etc/motd; echo doomed > etc/doomed; mkdir -p var/lib/gone; echo x > var/lib/gone/file";
  };

  # The image the pullImage test pushes into a local registry: busybox copied in, so the
  # archive names no store path (a fixed-output derivation's output must not reference any,
  # and busybox is in the stand-in nix-strata's closure).
  pull-source = buildImage {
    name = "${prefix}/bi-pull-source";
    tag = "latest";
    copyToRoot = [ s.busybox ];
    compressor = "none";
    config.Cmd = [ "/bin/echo" "pulled" ];
  };

  # The same base, uncompressed.
  layered-base-plain = layered-base.override { compressor = "none"; };

  # A11: buildImage on top of the gzip'd layered image, with extraCommands, Env and WorkingDir.
  on-layered = buildImage {
    name = "${prefix}/bi-on-layered";
    fromImage = layered-base;
    copyToRoot = [ s.app-a ];
    extraCommands = "mkdir -p work; echo 'built on top' > work/note";
    config = {
      Env = [ "PATH=/bin:/usr/bin" "FROM_BASE=child" ];
      WorkingDir = "/work";
      Cmd = [ "/bin/hello" ];
    };
  };

  # The same on the uncompressed layered archive, tag null (derived from the output path).
  on-layered-plain = buildImage {
    name = "${prefix}/bi-on-layered-plain";
    fromImage = layered-base-plain;
    copyToRoot = s.app-b;
    config.Cmd = [ "/bin/app-b" ];
  };

  # No base: copyToRoot copied, owned by uid/gid, compressor none.
  standalone = buildImage {
    name = "${prefix}/bi-standalone";
    tag = "v1";
    copyToRoot = [ s.busybox s.hello ];
    uid = 1234;
    gid = 5678;
    compressor = "none";
    config.Cmd = [ "/bin/hello" ];
  };

  # runAsRoot over the layered base: a user added after shadowSetup, a
  # chown'd directory, a deleted file and directory (whiteouts), a changed file.
  run-as-root = buildImage {
    name = "${prefix}/bi-run-as-root";
    tag = "latest";
    fromImage = layered-base;
    copyToRoot = [ s.app-a ];
    runAsRoot = ''
      ${shadowSetup}
      # Debian's static busybox has no adduser applet: add the user the way it would.
      echo "alice:x:1000:1000::/home/alice:/bin/sh" >> /etc/passwd
      echo "alice:!:19000:0:99999:7:::" >> /etc/shadow
      echo "alice:x:1000:" >> /etc/group
      mkdir -p /home/alice
      # Dynamically linked, as nixpkgs' coreutils are: fakeroot records it as any user.
      ${s.dynamicCoreutils}/bin/chown 1000:1000 /home/alice
      chmod 0700 /home/alice
      rm /etc/doomed
      rm -r /var/lib/gone
      echo changed > /etc/motd
    '';
    extraCommands = "echo extra > extra-file";
    config.Cmd = [ "/bin/hello" ];
  };

  # Issue 14 #2: a base whose files fakeroot has records for (tar extracts them with owners),
  # deleted in runAsRoot by a static busybox `rm`; the new files must not inherit those
  # records through reused inode numbers.
  reuse-base = buildLayeredImage {
    name = "${prefix}/bi-reuse-base";
    tag = "latest";
    contents = [ s.busybox ];
    # Dynamically linked chown and chmod, so this also builds as a build user.
    fakeRootCommands = let d = s.dynamicCoreutils; in ''
      mkdir -p data opt
      for i in 1 2 3 4 5 6 7 8; do echo secret > data/keep$i; ${d}/bin/chown 1000:1000 data/keep$i; ${d}/bin/chmod 0600 data/keep$i; done
      echo file > opt/f
      ${d}/bin/chown 1000:1000 opt/f
      mkdir srv
      echo kept > srv/kept
      ${d}/bin/chown 1000:1000 srv/kept
      ${d}/bin/chmod 0600 srv/kept
    '';
  };
  reuse = buildImage {
    name = "${prefix}/bi-reuse";
    tag = "latest";
    fromImage = reuse-base;
    runAsRoot = ''
      # Debian's static busybox for everything, as in the issue's example.
      export PATH=${s.busybox}/bin:$PATH
      rm /opt/f
      mkdir /opt/f
      echo y > /opt/f/y
      rm /data/keep*
      for i in 1 2 3 4 5 6 7 8; do echo public > /data/public$i; chmod 644 /data/public$i; done
      # Behind the base's record of /srv/kept (built as root, so the static chown is real).
      chmod 0640 /srv/kept
      chown 3000:3000 /srv/kept
    '';
  };

  # runAsRoot as a build user (issue 13): test/e2e/build-image.test.ts builds these with
  # `--option build-users-group nixbld` and a fresh `salt`, so a build as root is never reused.
  # Over the base's recorded files: what runAsRoot makes is root's, chown/chmod by
  # dynamically linked programs are kept, a static `rm` whiteouts; extraCommands notes the uid.
  asBuildUser = salt: {
    dynamic = buildImage {
      name = "${prefix}/bi-as-build-user";
      tag = "latest";
      fromImage = reuse-base;
      runAsRoot = let d = s.dynamicCoreutils; in ''
        # ${salt}
        mkdir -p /made/sub
        echo made > /made/file
        ${d}/bin/chown 4242:4343 /made/sub
        ${d}/bin/chmod 0750 /made/sub
        ${d}/bin/chmod 4755 /made/file
        ${d}/bin/chown 0:0 /data/keep1
        ${d}/bin/chmod 0644 /data/keep1
        rm /data/keep2
        # The static busybox's chmod, behind the base's record.
        ${s.busybox}/bin/chmod 0640 /srv/kept
      '';
      extraCommands = "while read -r key value _; do if [[ $key == Uid: ]]; then echo $value > built-by-uid; fi; done < /proc/self/status";
    };
    # A chown by the static busybox cannot be recorded as a build user: the build must fail.
    static-chown = buildImage {
      name = "${prefix}/bi-as-build-user-static-chown";
      runAsRoot = ''
        # ${salt}
        mkdir /data
        ${s.busybox}/bin/chown 4242:4343 /data
      '';
    };
  };

  # A14: a buildImage parent and a buildLayeredImage child on top: Env merged by the child.
  environment-parent = buildImage {
    name = "${prefix}/bi-environment-parent";
    tag = "latest";
    copyToRoot = [ s.busybox ];
    config.Env = [ "FROM_PARENT=true" "LAST_LAYER=parent" ];
  };
  environment-child = buildLayeredImage {
    name = "${prefix}/bi-environment-child";
    tag = "latest";
    fromImage = environment-parent;
    config.Env = [ "FROM_CHILD=true" "LAST_LAYER=child" ];
    config.Cmd = [ "/bin/env" ];
  };

  # runAsRoot without a base, a Nix database, and "now" as the creation date.
  root-no-base = buildImage {
    name = "${prefix}/bi-root-no-base";
    tag = "latest";
    copyToRoot = [ s.busybox s.hello ];
    includeNixDB = true;
    created = "now";
    runAsRoot = ''
      mkdir -p /data
      ${s.dynamicCoreutils}/bin/chown 4242:4343 /data
      ln -s /bin/hello /usr-hello
    '';
    # The image's own /dev and /sys entries (the fake chroot binds the host's over them).
    extraCommands = "mkdir -p dev sys; echo x > dev/marker; echo y > sys/marker";
    config.Cmd = [ "/bin/hello" ];
  };

  # exportImage of the layered base (the base's name by default) and of the runAsRoot image.
  exported-layered = exportImage { fromImage = layered-base; name = "bi-exported-layered.tar"; };
  exported-run-as-root = exportImage { fromImage = run-as-root; };
}
