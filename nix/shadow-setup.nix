# shadowSetup: bash for a buildImage `runAsRoot` script that prepares /etc for user management
# (useradd/groupadd from shadow, or busybox adduser/addgroup): it creates /etc/passwd,
# /etc/shadow, /etc/group, /etc/gshadow, /etc/login.defs and a permissive /etc/pam.d/other
# only when they are missing, so a base image's files are kept; as in nixpkgs, a missing
# /etc/passwd also rewrites /etc/shadow (and a missing /etc/group, /etc/gshadow). shadow's
# tools are put on PATH when the package set has them.
{ pkgs }:
let
  shadow = pkgs.shadow or null;
  shell = "${pkgs.bash}/bin/bash";
in
''
  ${if shadow != null then "export PATH=${shadow}/bin:$PATH" else ""}
  mkdir -p /etc/pam.d
  if [ ! -f /etc/passwd ]; then
    echo "root:x:0:0::/root:${shell}" > /etc/passwd
    echo "root:!x:::::::" > /etc/shadow
    chmod 0640 /etc/shadow
  fi
  if [ ! -f /etc/shadow ]; then
    echo "root:!x:::::::" > /etc/shadow
    chmod 0640 /etc/shadow
  fi
  if [ ! -f /etc/group ]; then
    echo "root:x:0:" > /etc/group
    echo "root:x::" > /etc/gshadow
  fi
  if [ ! -f /etc/login.defs ]; then
    touch /etc/login.defs
  fi
  if [ ! -f /etc/pam.d/other ]; then
    cat > /etc/pam.d/other <<'NIX_STRATA_PAM'
  account sufficient pam_unix.so
  auth sufficient pam_rootok.so
  password requisite pam_unix.so nullok yescrypt
  session required pam_unix.so
  NIX_STRATA_PAM
  fi
''
