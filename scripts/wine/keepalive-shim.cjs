// Test harness only, for Wine 8 (scripts/test-windows.sh, preloaded with NODE_OPTIONS=--require):
// socket.setKeepAlive(true, delay) on a socket that is still connecting makes Wine's connect fail
// ("connect UNKNOWN"), which breaks global fetch (undici) to 127.0.0.1. Windows itself does not
// do this, so the product keeps calling it as it likes; here the call waits for the connection.
'use strict';
const net = process.getBuiltinModule('node:net');
const setKeepAlive = net.Socket.prototype.setKeepAlive;
net.Socket.prototype.setKeepAlive = function (enable, delay) {
  if (this.connecting) {
    this.once('connect', () => setKeepAlive.call(this, enable, delay));
    return this;
  }
  return setKeepAlive.call(this, enable, delay);
};
