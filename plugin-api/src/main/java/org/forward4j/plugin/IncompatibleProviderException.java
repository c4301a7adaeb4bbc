package org.forward4j.plugin;

/**
 * A provider was built against another SPI version, failed to load, or declares an invalid name.
 */
public class IncompatibleProviderException extends Forward4jException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     */
    public IncompatibleProviderException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     * @param cause the underlying failure
     */
    public IncompatibleProviderException(String message, Throwable cause) {
        super(message, cause);
    }
}
