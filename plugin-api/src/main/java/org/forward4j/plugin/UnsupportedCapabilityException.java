package org.forward4j.plugin;

/**
 * A plugin was asked for something it does not declare (for example: an activation-noise estimator on a
 * black-box objective).
 */
public class UnsupportedCapabilityException extends Forward4jException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     */
    public UnsupportedCapabilityException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     * @param cause the underlying failure
     */
    public UnsupportedCapabilityException(String message, Throwable cause) {
        super(message, cause);
    }
}
