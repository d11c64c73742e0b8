window.experimentScript = true;
