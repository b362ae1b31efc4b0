package io.github.qemucpr.api;

/**
 * Receives the progress of a save or restore. Called on the thread that runs the operation, in
 * order; a slow listener slows the operation down (and lengthens the VM's blackout when it is
 * called between {@link CprPhase#MIGRATE} and {@link CprPhase#PERSIST}). An exception thrown by the
 * listener is logged and otherwise ignored.
 */
@FunctionalInterface
public interface CprProgressListener {

  /** Called for each event. */
  void onProgress(CprProgressEvent event);
}
