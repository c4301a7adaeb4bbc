package org.forward4j.plugin;

/**
 * Two providers of one kind declare the same name; the message names both classes and their jars.
 */
public class DuplicateProviderException extends Forward4jException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     */
    public DuplicateProviderException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     * @param cause the underlying failure
     */
    public DuplicateProviderException(String message, Throwable cause) {
        super(message, cause);
    }
}
