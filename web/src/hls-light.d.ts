// hls.js ships no declaration file for its "light" build (same API, fewer features).
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export default Hls;
}
