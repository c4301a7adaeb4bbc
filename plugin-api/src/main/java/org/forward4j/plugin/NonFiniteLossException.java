package org.forward4j.plugin;

/**
 * A query returned a NaN or infinite loss and the non-finite policy is {@code fail}. The message names the
 * data point and the draw.
 */
public class NonFiniteLossException extends Forward4jException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     */
    public NonFiniteLossException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     * @param cause the underlying failure
     */
    public NonFiniteLossException(String message, Throwable cause) {
        super(message, cause);
    }
}
