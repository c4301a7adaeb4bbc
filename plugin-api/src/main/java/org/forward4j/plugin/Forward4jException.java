package org.forward4j.plugin;

/**
 * Root of every error forward4j throws. Messages say what failed, the value received, what is
 * available and how to fix it; subtypes let callers react to a category.
 */
public class Forward4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     */
    public Forward4jException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what failed, the value it got, what is available and how to fix it
     * @param cause the underlying failure
     */
    public Forward4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
