package io.github.jdalle.core;

/**
 * The one unchecked exception type of jdalle: its message names what is wrong (the file, the Flax path,
 * the expected and actual shape, the offending id) so that the command line can print it as one line.
 */
public class JdalleException extends RuntimeException {
    public JdalleException(String message) {
        super(message);
    }

    public JdalleException(String message, Throwable cause) {
        super(message, cause);
    }
}
