package io.github.jdalle.convert;

/** Told how far a conversion has got, after every block of data written. */
@FunctionalInterface
public interface ProgressListener {
    /** A listener that ignores progress. */
    ProgressListener NONE = (path, bytesDone, bytesTotal) -> { };

    /**
     * @param path       the tensor being written
     * @param bytesDone  output data bytes written so far, over all tensors
     * @param bytesTotal output data bytes of the whole conversion
     */
    void progress(String path, long bytesDone, long bytesTotal);
}
