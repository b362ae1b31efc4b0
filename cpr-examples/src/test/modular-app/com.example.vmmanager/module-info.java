/**
 * A user's application on the module path, as the README shows it: {@code ModulePathIT} runs it.
 */
module com.example.vmmanager {
  requires io.github.qemucpr.api;
  requires io.github.qemucpr.launcher;
}
