package org.radstream.ingest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * An accepted socket whose input starts with bytes already read from it. The SCP reads the
 * A-ASSOCIATE-RQ itself to refuse callers not on the allow-list (PixelMed checks only the called
 * AE title), then hands PixelMed this socket, which replays the request. Delegates every socket
 * method PixelMed's association uses.
 */
final class ReplaySocket extends Socket {
    private final Socket delegate;
    private final InputStream in;

    ReplaySocket(Socket delegate, byte[] alreadyRead) throws IOException {
        this.delegate = delegate;
        this.in = new SequenceInputStream(new ByteArrayInputStream(alreadyRead), delegate.getInputStream());
    }

    @Override public InputStream getInputStream() { return in; }
    @Override public OutputStream getOutputStream() throws IOException { return delegate.getOutputStream(); }
    @Override public synchronized void close() throws IOException { delegate.close(); }
    @Override public boolean isClosed() { return delegate.isClosed(); }
    @Override public boolean isConnected() { return delegate.isConnected(); }
    @Override public void shutdownOutput() throws IOException { delegate.shutdownOutput(); }
    @Override public void shutdownInput() throws IOException { delegate.shutdownInput(); }
    @Override public InetAddress getInetAddress() { return delegate.getInetAddress(); }
    @Override public InetAddress getLocalAddress() { return delegate.getLocalAddress(); }
    @Override public int getPort() { return delegate.getPort(); }
    @Override public int getLocalPort() { return delegate.getLocalPort(); }
    @Override public SocketAddress getRemoteSocketAddress() { return delegate.getRemoteSocketAddress(); }
    @Override public SocketAddress getLocalSocketAddress() { return delegate.getLocalSocketAddress(); }
    @Override public synchronized int getReceiveBufferSize() throws SocketException { return delegate.getReceiveBufferSize(); }
    @Override public synchronized void setReceiveBufferSize(int size) throws SocketException { delegate.setReceiveBufferSize(size); }
    @Override public synchronized int getSendBufferSize() throws SocketException { return delegate.getSendBufferSize(); }
    @Override public synchronized void setSendBufferSize(int size) throws SocketException { delegate.setSendBufferSize(size); }
    @Override public synchronized int getSoTimeout() throws SocketException { return delegate.getSoTimeout(); }
    @Override public synchronized void setSoTimeout(int timeout) throws SocketException { delegate.setSoTimeout(timeout); }
    @Override public int getSoLinger() throws SocketException { return delegate.getSoLinger(); }
    @Override public void setSoLinger(boolean on, int linger) throws SocketException { delegate.setSoLinger(on, linger); }
    @Override public boolean getTcpNoDelay() throws SocketException { return delegate.getTcpNoDelay(); }
    @Override public void setTcpNoDelay(boolean on) throws SocketException { delegate.setTcpNoDelay(on); }
    @Override public boolean getKeepAlive() throws SocketException { return delegate.getKeepAlive(); }
    @Override public void setKeepAlive(boolean on) throws SocketException { delegate.setKeepAlive(on); }
    @Override public String toString() { return delegate.toString(); }
}
