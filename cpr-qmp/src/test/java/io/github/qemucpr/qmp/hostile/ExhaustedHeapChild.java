package io.github.qemucpr.qmp.hostile;

import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;

/**
 * The client side of {@link ExhaustedHeapTest}: connects, then fills its own heap to the last bytes
 * (as another part of a VM manager could, or a flood into other clients of the same JVM), and holds
 * it while the peer sends one line. Then it lets go of the memory and prints whether the client is
 * still open and whether its close future completed.
 *
 * <p>Arguments: the QMP socket. Run with {@code -XX:-UseTLAB}, so that the reader thread has no
 * private allocation buffer left to fall back on.
 */
public final class ExhaustedHeapChild {

  private ExhaustedHeapChild() {}

  /** The memory the child holds, as a chain of arrays, so that adding one never grows a list. */
  private static Object[] hog;

  public static void main(String[] args) throws Exception {
    QmpClient qmp = QmpClient.builder().unixSocket(Path.of(args[0])).connect();
    System.out.println("READY");
    System.out.flush();
    fill();
    Thread.sleep(6_000); // the peer sends its line 3 s after READY
    hog = null;
    System.gc();
    System.out.println("RESULT clientOpen=" + qmp.isOpen());
    System.out.println("RESULT closeFutureDone=" + qmp.closeFuture().isDone());
    System.out.flush();
    System.exit(0);
  }

  private static void fill() {
    int size = 1 << 20;
    while (size >= 8) {
      try {
        hog = new Object[] {hog, new byte[size]};
      } catch (OutOfMemoryError e) {
        size /= 2;
      }
    }
  }
}
