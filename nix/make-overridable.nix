# nixpkgs' lib.makeOverridable, on builtins only (nix/ uses no nixpkgs lib): the result of
# `f args` gets `.override`, which takes an attribute set, or a function of the previous
# arguments, and calls `f` again with it merged over them; an overridden result is
# overridable again. The overridable function keeps `f`'s formal arguments (`__functionArgs`,
# which lib.functionArgs and callPackage read), as nixpkgs' does. overrideDerivation is not
# provided (nothing here is an stdenv derivation).
f:
let
  isFunction = v: builtins.isFunction v || (builtins.isAttrs v && v ? __functor);
  call = args:
    let
      result = f args;
      override = newArgs: call (args // (if isFunction newArgs then newArgs args else newArgs));
    in
    if builtins.isAttrs result then result // { inherit override; } else result;
in
{
  __functor = _: call;
  __functionArgs = builtins.functionArgs f;
}
