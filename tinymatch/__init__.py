__version__ = "0.1.0"

# Keep TensorFlow's C++ log spam and tensorflow-addons' end-of-life notice away from users: this
# runs before any tinymatch module imports TensorFlow.
import os as _os, warnings as _warnings
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_warnings.filterwarnings("ignore", message=r".*TensorFlow Addons.*")
_warnings.filterwarnings("ignore", message=r".*(TFA|tfa).*end of life.*")
_warnings.filterwarnings("ignore", category=UserWarning, module=r"tensorflow_addons.*")
_warnings.filterwarnings("ignore", message=r"IProgress not found")
