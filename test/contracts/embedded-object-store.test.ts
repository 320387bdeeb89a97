import { objectStoreContract } from './object-store.contract.js';
import { fsStoreFixture } from './fs-store-fixture.js';

objectStoreContract('FsObjectStore', fsStoreFixture);
