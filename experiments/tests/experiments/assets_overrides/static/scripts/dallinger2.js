window.notTheRealClient = true;
