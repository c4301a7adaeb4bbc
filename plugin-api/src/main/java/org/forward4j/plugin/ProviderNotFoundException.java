package org.forward4j.plugin;

/**
 * No provider of the requested kind has the configured name.
 */
public class ProviderNotFoundException extends Forward4jException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     */
    public ProviderNotFoundException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     * @param cause the underlying failure
     */
    public ProviderNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
